"""The portal in a real browser: Debian's Chromium, headless, driven by Selenium.

Runs whenever Chromium and chromedriver are installed (`.ci/run` installs them, so CI
always does). Screenshots of every page go to test-artifacts/portal/.
"""

import contextlib
import hashlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.portal.browser import (
    CHROMEDRIVER,
    CHROMIUM,
    Server,
    chrome,
    follow,
    run_server,
    serious_violations,
    sign_in,
    snapshot,
)

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER), reason="Chromium and chromedriver are not installed"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from run_server(tmp_path_factory.mktemp("portal"))


@pytest.fixture(scope="module")
def browser(server: Server) -> Iterator[webdriver.Chrome]:
    driver = chrome(server.downloads)
    driver.set_script_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(autouse=True)
def signed_out(browser: webdriver.Chrome) -> None:
    browser.delete_all_cookies()


def _accessible(driver: webdriver.Chrome, name: str) -> None:
    snapshot(driver, name)
    assert serious_violations(driver) == [], name


def _downloaded(folder: Path, suffix: str) -> bytes:
    for _ in range(100):
        done = [p for p in folder.glob(f"*{suffix}") if p.stat().st_size > 0]
        if done:
            return done[0].read_bytes()
        time.sleep(0.1)
    raise AssertionError(f"no {suffix} downloaded")


def _reads_the_verify_panel(browser: webdriver.Chrome, server: Server, statement_id: str) -> None:
    """The panel as a reader sees it: the pinned head, the key, a pass per check, and the
    command line a society runs itself."""
    key = httpx.get(f"{server.base}/v1/transparency/key").json()
    assert browser.find_element(By.ID, "key-id").text == key["key_id"]
    assert int(browser.find_element(By.ID, "sth-size").text) > 0
    assert browser.find_element(By.ID, "verify-verdict").text.startswith("Verified")
    rows = browser.find_elements(By.CSS_SELECTOR, "#verify-checks tbody tr")
    assert [r.find_elements(By.TAG_NAME, "td")[1].text for r in rows] == ["pass"] * 4
    command = browser.find_element(By.ID, "verify-command").text
    assert f"verify-statement {statement_id} --public-key {key['public_key']}" in command
    follow(browser, browser.find_element(By.CSS_SELECTOR, "button[value=all]"))
    assert browser.find_element(By.ID, "verify-verdict").text.startswith("Verified")
    assert "inclusion proofs of all" in browser.find_element(By.ID, "verify-verdict").text


def test_society_reads_filters_verifies_and_downloads(
    browser: webdriver.Chrome, server: Server
) -> None:
    browser.get(f"{server.base}/portal")
    _accessible(browser, "01-sign-in")
    sign_in(browser, server.base, server.tokens["SOCIETY"])
    assert browser.find_elements(By.CSS_SELECTOR, "svg[role=img]")
    assert server.tokens["SOCIETY"] not in browser.page_source
    _accessible(browser, "02-overview-society")

    follow(browser, browser.find_element(By.LINK_TEXT, "Statements"))
    _accessible(browser, "03-statements")
    follow(browser, browser.find_element(By.LINK_TEXT, "2006-10"))
    assert "Statement 2006-10" in browser.find_element(By.TAG_NAME, "h1").text
    assert "The ledger holds this hash" in browser.find_element(By.ID, "pinned-result").text
    statement_id = browser.current_url.rsplit("/", 1)[1]
    _reads_the_verify_panel(browser, server, statement_id)
    _accessible(browser, "04-statement")

    api = httpx.get(
        f"{server.base}/v1/statements/{statement_id}",
        headers={"Authorization": f"Bearer {server.tokens['SOCIETY']}"},
        params={"limit": 1000},
    ).json()
    field = browser.find_element(By.ID, "f-territory")
    field.send_keys("GB")
    follow(browser, browser.find_element(By.CSS_SELECTOR, ".filters button"))
    gb = [line for line in api["lines"] if line["territory"] == "GB"]
    assert browser.find_element(By.ID, "line-count").text.startswith(f"{len(gb)} line")
    shown = {
        td.text for td in browser.find_elements(By.CSS_SELECTOR, "#lines tbody td:nth-child(4)")
    }
    assert shown == {"GB"}
    _accessible(browser, "05-statement-filtered")

    browser.find_element(By.LINK_TEXT, "CSV").click()  # a download: the page stays
    csv = _downloaded(server.downloads, ".csv")
    expected = httpx.get(
        f"{server.base}/v1/statements/{statement_id}",
        headers={"Authorization": f"Bearer {server.tokens['SOCIETY']}", "Accept": "text/csv"},
    ).content
    assert csv == expected


def test_other_parties_statements_do_not_exist(browser: webdriver.Chrome, server: Server) -> None:
    admin = {"Authorization": f"Bearer {server.tokens['ADMIN']}"}
    fair = httpx.get(
        f"{server.base}/v1/statements", headers=admin, params={"party": "society:FAIR"}
    ).json()["data"][0]["id"]
    sign_in(browser, server.base, server.tokens["SOCIETY"])
    browser.get(f"{server.base}/portal/statements/{fair}")
    assert browser.find_element(By.TAG_NAME, "h1").text != "Statement"
    assert f"No statement {fair}" in browser.page_source
    browser.get(f"{server.base}/portal/admin/keys")
    assert "Not for your role" in browser.find_element(By.TAG_NAME, "h1").text


def test_csrf_refused_and_logout(browser: webdriver.Chrome, server: Server) -> None:
    sign_in(browser, server.base, server.tokens["SOCIETY"])
    browser.execute_script(
        "document.querySelector('form.signout input[name=csrf_token]').value = 'forged';"
    )
    follow(browser, browser.find_element(By.CSS_SELECTOR, "form.signout button"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Form refused"
    browser.get(f"{server.base}/portal/overview")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Overview"  # still signed in
    follow(browser, browser.find_element(By.CSS_SELECTOR, "form.signout button"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Sign in"
    browser.get(f"{server.base}/portal/overview")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Sign in"


def test_holder_sees_remittance_and_files_a_takedown(
    browser: webdriver.Chrome, server: Server, tmp_path: Path
) -> None:
    sign_in(browser, server.base, server.tokens["HOLDER_TOKEN"])
    assert "unclaimed_share" in browser.page_source
    _accessible(browser, "06-overview-holder")
    follow(browser, browser.find_element(By.LINK_TEXT, "Remittance"))
    assert browser.find_elements(By.CSS_SELECTOR, "#remittance tbody tr td")
    _accessible(browser, "07-remittance")
    follow(browser, browser.find_element(By.LINK_TEXT, "Takedowns"))
    evidence = tmp_path / "agreement.pdf"
    evidence.write_bytes(b"%PDF-1.4 publishing agreement, clause 3\n")
    browser.find_element(By.ID, "asset").send_keys("T-101.010.101-4")
    browser.find_element(By.ID, "territories").send_keys("US")
    Select(browser.find_element(By.ID, "kind")).select_by_visible_text("contract")
    browser.find_element(By.ID, "reference").send_keys("Publishing agreement 2004-17")
    browser.find_element(By.ID, "evidence-file").send_keys(str(evidence))
    digest = hashlib.sha256(evidence.read_bytes()).hexdigest()
    for _ in range(50):  # hashed by Web Crypto in the page
        if browser.find_element(By.ID, "sha256").get_attribute("value") == digest:
            break
        time.sleep(0.1)
    assert browser.find_element(By.ID, "sha256").get_attribute("value") == digest
    follow(browser, browser.find_element(By.CSS_SELECTOR, "#takedown-form button"))
    history = browser.find_element(By.CSS_SELECTOR, "article.takedown")
    assert "pending" in history.text and "request" in history.text
    _accessible(browser, "08-takedowns")


def test_admin_close_and_keys(browser: webdriver.Chrome, server: Server) -> None:
    sign_in(browser, server.base, server.tokens["ADMIN"])
    browser.get(f"{server.base}/portal/admin/close?period=2006-10")
    assert "closed" in browser.page_source
    _accessible(browser, "09-month-close")
    browser.get(f"{server.base}/portal/admin/keys")
    Select(browser.find_element(By.ID, "role")).select_by_visible_text("society")
    browser.find_element(By.ID, "subject").send_keys("PRS")
    follow(browser, browser.find_element(By.CSS_SELECTOR, "form.filters button"))
    token = browser.find_element(By.ID, "new-token").text
    assert token.startswith("rl_")
    _accessible(browser, "10-api-keys")


def test_no_key_in_the_server_log(browser: webdriver.Chrome, server: Server) -> None:
    """Runs last: every sign-in above went through the log (uvicorn's access lines)."""
    sign_in(browser, server.base, server.tokens["HOLDER_TOKEN"])
    log = server.log.read_text()
    assert "POST /portal/sign-in" in log
    assert not [label for label, token in server.tokens.items() if token in log]


def _focus_left(element: WebElement) -> Callable[[webdriver.Chrome], bool]:
    return lambda driver: driver.switch_to.active_element != element


def _tab_to(browser: webdriver.Chrome, matches: Callable[[WebElement], bool]) -> WebElement:
    """Press Tab until the focused element satisfies ``matches`` (as a keyboard user does).
    Each press is confirmed by focus moving, so a loaded machine cannot skip ahead."""
    previous = browser.switch_to.active_element
    for _ in range(80):
        ActionChains(browser).send_keys(Keys.TAB).perform()
        with contextlib.suppress(TimeoutException):
            WebDriverWait(browser, 2).until(
                lambda d, was=previous: d.switch_to.active_element != was
            )
        previous = browser.switch_to.active_element
        if matches(previous):
            return previous
    raise AssertionError("not reachable with the Tab key")


def test_keyboard_only_sign_in_navigation_and_statement(
    browser: webdriver.Chrome, server: Server
) -> None:
    """WCAG 2.1.1: everything done with Tab and Enter, no pointer."""
    browser.get(f"{server.base}/portal")
    WebDriverWait(browser, 20).until(lambda d: d.find_elements(By.ID, "token"))
    skip = _tab_to(browser, lambda e: e.text == "Skip to content")
    assert skip.get_attribute("href").endswith("#main")
    token = _tab_to(browser, lambda e: e.get_attribute("id") == "token")
    old = browser.find_element(By.TAG_NAME, "html")
    token.send_keys(server.tokens["SOCIETY"], Keys.ENTER)
    WebDriverWait(browser, 20).until(staleness_of(old))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Overview"
    link = _tab_to(browser, lambda e: e.text == "Statements")
    old = browser.find_element(By.TAG_NAME, "html")
    link.send_keys(Keys.ENTER)
    WebDriverWait(browser, 20).until(staleness_of(old))
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("Statements")
    month = _tab_to(browser, lambda e: e.text == "2006-10")
    old = browser.find_element(By.TAG_NAME, "html")
    month.send_keys(Keys.ENTER)
    WebDriverWait(browser, 20).until(staleness_of(old))
    assert "Statement 2006-10" in browser.find_element(By.TAG_NAME, "h1").text


# Issue 27: the portal at a phone's width and a laptop's, and the README's screenshots.
PHONE = (390, 844)
LAPTOP = (1280, 900)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "img"
_OVERFLOW = "return document.documentElement.scrollWidth - document.documentElement.clientWidth;"
# The smallest chart text as drawn: its font size times the drawing's scale on screen.
_CHART_TEXT_PX = (
    "let least = 99; for (const svg of document.querySelectorAll('svg.chart')) {"
    " const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;"
    " for (const t of svg.querySelectorAll('text')) {"
    "  least = Math.min(least, parseFloat(t.getAttribute('font-size')) * scale); } }"
    " return least;"
)


def _statement_id(server: Server, token: str, party: str) -> str:
    listed = httpx.get(
        f"{server.base}/v1/statements",
        headers={"Authorization": f"Bearer {server.tokens[token]}"},
        params={"period": "2006-10", "party": party},
    ).json()["data"]
    return str(listed[0]["id"])


def _signed_in_pages(server: Server) -> dict[str, list[str]]:
    roms = _statement_id(server, "SOCIETY", "society:ROMS")
    direct = _statement_id(server, "ADMIN", f"holder:{_direct_holder(server)}")
    return {
        "SOCIETY": [
            "/portal/overview",
            "/portal/statements",
            f"/portal/statements/{roms}",
            f"/portal/statements/{roms}?territory=RU&size=50",
        ],
        "HOLDER_TOKEN": ["/portal/overview", "/portal/remittance", "/portal/takedowns"],
        "DIRECT_HOLDER_TOKEN": [
            "/portal/overview",
            "/portal/statements",
            f"/portal/statements/{direct}",
        ],
        "ADMIN": [
            "/portal/overview",
            "/portal/statements",
            "/portal/admin/close",
            "/portal/admin/keys",
            "/portal/takedowns",
            "/portal/no-such-page",
        ],
    }


def _direct_holder(server: Server) -> str:
    keys = httpx.get(
        f"{server.base}/v1/api-keys",
        headers={"Authorization": f"Bearer {server.tokens['ADMIN']}"},
        params={"limit": 1000},
    ).json()["data"]
    holders = [k["subject"] for k in keys if k["role"] == "rights_holder"]
    return next(h for h in holders if h != server.tokens["HOLDER"])


@contextlib.contextmanager
def _window(browser: webdriver.Chrome, size: tuple[int, int]) -> Iterator[None]:
    browser.set_window_size(*size)
    try:
        yield
    finally:
        browser.set_window_size(1280, 1000)


def test_every_signed_in_page_fits_a_phone(browser: webdriver.Chrome, server: Server) -> None:
    pages = _signed_in_pages(server)
    with _window(browser, PHONE):
        width = browser.execute_script("return document.documentElement.clientWidth;")
        assert width <= PHONE[0]
        for token, paths in pages.items():
            browser.delete_all_cookies()
            sign_in(browser, server.base, server.tokens[token])
            for path in paths:
                browser.get(f"{server.base}{path}")
                assert browser.execute_script(_OVERFLOW) == 0, f"{token} {path} scrolls sideways"
                if browser.find_elements(By.CSS_SELECTOR, "svg.chart"):
                    assert browser.execute_script(_CHART_TEXT_PX) >= 11, path
        # The keys page as an admin left it: every revoke button on the screen.
        browser.get(f"{server.base}/portal/admin/keys")
        for button in browser.find_elements(By.CSS_SELECTOR, "#keys button"):
            right = browser.execute_script(
                "return arguments[0].getBoundingClientRect().right;", button
            )
            assert right <= width
        _accessible(browser, "11-keys-phone")


def test_lines_fit_a_laptop_with_names_titles_and_totals(
    browser: webdriver.Chrome, server: Server
) -> None:
    roms = _statement_id(server, "SOCIETY", "society:ROMS")
    with _window(browser, LAPTOP):
        sign_in(browser, server.base, server.tokens["SOCIETY"])
        browser.get(f"{server.base}/portal/statements/{roms}?size=1000")
        scroller = browser.find_element(By.CSS_SELECTOR, "#lines").find_element(By.XPATH, "..")
        overflow = browser.execute_script(
            "return arguments[0].scrollWidth - arguments[0].clientWidth;", scroller
        )
        assert overflow == 0, f"the lines table is {overflow} px too wide at 1280 px"
        assert browser.execute_script(_OVERFLOW) == 0
        codes = browser.find_elements(By.CSS_SELECTOR, "#lines span.code")
        assert codes and all(c.size["height"] < 30 for c in codes)  # one line each
        assert "Vladimir Composer" in browser.find_element(By.ID, "lines").text
        assert browser.find_element(By.ID, "lines-total").text.startswith("Total of the")
        Select(browser.find_element(By.ID, "f-territory")).select_by_visible_text("RU")
        browser.find_element(By.ID, "f-iswc").send_keys("t0345246801")
        follow(browser, browser.find_element(By.CSS_SELECTOR, ".filters button"))
        assert {
            td.text for td in browser.find_elements(By.CSS_SELECTOR, "#lines td.territory")
        } == {"RU"}
        _accessible(browser, "12-statement-filtered-by-work")


def test_screenshots_of_overview_and_statement_for_the_readme(
    browser: webdriver.Chrome, server: Server
) -> None:
    """Writes docs/img/portal-{overview,statement}-{1280,390}.png (shown in the README)."""
    roms = _statement_id(server, "SOCIETY", "society:ROMS")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    sign_in(browser, server.base, server.tokens["SOCIETY"])
    for size in (LAPTOP, PHONE):
        with _window(browser, size):
            for name, path in (
                ("overview", "/portal/overview"),
                ("statement", f"/portal/statements/{roms}"),
            ):
                browser.get(f"{server.base}{path}")
                shot = SCREENSHOTS / f"portal-{name}-{size[0]}.png"
                browser.save_screenshot(str(shot))
                assert shot.stat().st_size > 10_000


def test_admin_approves_a_takedown_seeing_its_evidence(
    browser: webdriver.Chrome, server: Server
) -> None:
    filed = httpx.post(
        f"{server.base}/v1/takedowns",
        headers={"Authorization": f"Bearer {server.tokens['HOLDER_TOKEN']}"},
        json={
            "iswc": "T-101.010.101-4",
            "territories": ["GB"],
            "claimant_holder_id": server.tokens["HOLDER"],
            "evidence": {
                "kind": "contract",
                "reference": "PRS mandate 2006-3",
                "sha256": "ef" * 32,
            },
        },
    )
    assert filed.status_code == 201, filed.text
    takedown = filed.json()["id"]
    sign_in(browser, server.base, server.tokens["ADMIN"])
    browser.get(f"{server.base}/portal/takedowns")
    article = browser.find_element(By.ID, f"t-{takedown}")
    assert "PRS mandate 2006-3" in article.text and "ef" * 32 in article.text
    _accessible(browser, "13-takedowns-admin")
    approve = article.find_element(By.CSS_SELECTOR, "button[value=approve]")
    follow(browser, approve)
    assert "— approved" in browser.find_element(By.ID, f"t-{takedown}").text
    lift = browser.find_element(By.ID, f"lift-why-{takedown}")
    lift.send_keys("licence renewed")
    follow(browser, browser.find_element(By.CSS_SELECTOR, f"#t-{takedown} form button"))
    assert "— lifted" in browser.find_element(By.ID, f"t-{takedown}").text
