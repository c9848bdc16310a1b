"""Driving the portal in Debian's Chromium (headless, system chromedriver) against a real
uvicorn of the app on a temporary SQLite database holding the demo."""

import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import WebDriverWait

from service.startup.run import read_env_file
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "portal"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@dataclass
class Server:
    base: str
    tokens: dict[str, str]
    downloads: Path
    log: Path


def run_server(tmp: Path) -> Iterator[Server]:
    """Migrate, load the demo (as `make run` does), serve; stop the server afterwards."""
    port = free_port()
    env = {
        **os.environ,
        "LEDGER_DATABASE_URL": f"sqlite:///{tmp / 'portal.db'}",
        "LEDGER_DEMO": "true",
        "LEDGER_PORT": str(port),
        "LEDGER_ADMIN_TOKEN": "",
        # Its own signer's record: the default lies in the checkout, shared across runs.
        "LEDGER_SIGNER_RECORD_FILE": str(tmp / "signer.signed.json"),
    }
    python = sys.executable
    # `royalty-ledger demo`: migrates the empty database and loads the demo, writing its
    # credentials as shell variables (ADMIN, SOCIETY, HOLDER_TOKEN, ...).
    env_file = tmp / "demo.env"
    subprocess.run(
        [str(Path(python).parent / "royalty-ledger"), "demo"],
        cwd=tmp,
        env={**env, "LEDGER_DEMO_ENV_FILE": str(env_file)},
        check=True,
        capture_output=True,
    )
    # BASE is where the ledger serves, not a credential.
    tokens = {k: v for k, v in read_env_file(env_file).items() if k != "BASE"}
    log = (tmp / "server.log").open("wb")
    server = subprocess.Popen(
        [
            python,
            "-m",
            "uvicorn",
            "service.main:app",
            "--port",
            str(port),
            "--log-level",
            "info",  # access lines too: the test checks no key reaches the log
        ],
        cwd=ROOT,
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise RuntimeError((tmp / "server.log").read_text())
        yield Server(base, tokens, tmp / "downloads", tmp / "server.log")
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def chrome(downloads: Path) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
    ):
        options.add_argument(arg)
    downloads.mkdir(parents=True, exist_ok=True)
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    return webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))


# axe-core, vendored (see assets/README.md): run inside the page under test.
AXE = Path(__file__).resolve().parent / "assets" / "axe-core-4.14.1.min.js"


def _axe_source() -> str:
    return AXE.read_text()


_AXE: list[str] = []


def serious_violations(driver: webdriver.Chrome) -> list[dict[str, Any]]:
    """axe-core run in the page (WCAG 2.x A and AA rules); the serious and critical ones."""
    if not _AXE:
        _AXE.append(_axe_source())
    driver.execute_script(_AXE[0])
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})"
        ".then(r => done(r.violations)).catch(e => done([{id: 'axe-error', impact: 'critical',"
        " help: String(e)}]));"
    )
    return [
        {"id": v["id"], "help": v.get("help"), "nodes": len(v.get("nodes", []))}
        for v in result
        if v.get("impact") in ("serious", "critical")
    ]


def snapshot(driver: webdriver.Chrome, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def follow(driver: webdriver.Chrome, element: WebElement) -> None:
    """Click ``element`` and wait until the next page has replaced this one (a loaded
    machine may still show the old page when the click returns)."""
    old = driver.find_element(By.TAG_NAME, "html")
    # Chromium may report the clicked node gone once the navigation it started has
    # replaced the page; the wait below still fails if nothing navigated.
    with contextlib.suppress(WebDriverException):
        element.click()
    WebDriverWait(driver, 20, ignored_exceptions=(WebDriverException,)).until(staleness_of(old))


def sign_in(driver: webdriver.Chrome, base: str, token: str) -> None:
    driver.get(f"{base}/portal")
    driver.find_element(By.ID, "token").send_keys(token)
    follow(driver, driver.find_element(By.CSS_SELECTOR, "form[action='/portal/sign-in'] button"))
    assert driver.find_element(By.TAG_NAME, "h1").text == "Overview"
