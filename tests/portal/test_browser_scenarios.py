"""A scenario in a real browser: the list, the report's paired bars and table, axe-core,
a phone's width, and a society's view of its own rows (Chromium, headless)."""

from collections.abc import Iterator

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By

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
PHONE = (390, 844)
_OVERFLOW = "return document.documentElement.scrollWidth - document.documentElement.clientWidth;"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from run_server(tmp_path_factory.mktemp("portal-scenarios"))


@pytest.fixture(scope="module")
def browser(server: Server) -> Iterator[webdriver.Chrome]:
    driver = chrome(server.downloads)
    driver.set_script_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def scenario(server: Server) -> str:
    response = httpx.post(
        f"{server.base}/v1/scenarios",
        json={"period_from": "2006-10", "store": "allofmp3", "territory": "store_licence"},
        headers={"Authorization": f"Bearer {server.tokens['ADMIN']}"},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_an_admin_opens_the_dispute_side_by_side(
    browser: webdriver.Chrome, server: Server, scenario: str
) -> None:
    browser.delete_all_cookies()
    sign_in(browser, server.base, server.tokens["ADMIN"])
    follow(browser, browser.find_element(By.LINK_TEXT, "Scenarios"))
    follow(
        browser, browser.find_element(By.CSS_SELECTOR, f"a[href='/portal/scenarios/{scenario}']")
    )
    assert browser.find_element(By.ID, "differs").text == "yes"
    figures = browser.find_elements(By.CSS_SELECTOR, "figure.charted")
    assert [f.get_attribute("data-currency") for f in figures] == ["GBP", "USD"]
    usd = figures[1]
    # Two bars a party, books then scenario, each with its value written at its end.
    titles = [
        t.get_attribute("textContent") for t in usd.find_elements(By.CSS_SELECTOR, "rect title")
    ]
    assert any(t.startswith("HFA, books: ") for t in titles)
    assert any(t.startswith("FAIR, scenario") for t in titles)
    rows = {
        r.find_elements(By.TAG_NAME, "td")[0].text: r.find_elements(By.TAG_NAME, "td")[2].text
        for r in usd.find_elements(By.CSS_SELECTOR, "table.parties tbody tr")
    }
    assert rows["HFA"].startswith("0.000000") and "ROMS" in rows
    snapshot(browser, "scenario-1280")
    assert serious_violations(browser) == []
    browser.set_window_size(*PHONE)
    try:
        browser.get(f"{server.base}/portal/scenarios/{scenario}")
        assert browser.execute_script(_OVERFLOW) == 0, "the scenario page scrolls sideways"
        snapshot(browser, "scenario-390")
    finally:
        browser.set_window_size(1280, 1000)


def test_a_society_sees_its_own_rows_only(
    browser: webdriver.Chrome, server: Server, scenario: str
) -> None:
    browser.delete_all_cookies()
    sign_in(browser, server.base, server.tokens["SOCIETY"])
    browser.get(f"{server.base}/portal/scenarios/{scenario}")
    parties = {
        cell.text
        for cell in browser.find_elements(
            By.CSS_SELECTOR, "#scenario-lines tbody tr td:first-child"
        )
    }
    assert parties == {"ROMS"}
    assert not browser.find_elements(By.ID, "scenario-exceptions")
    assert serious_violations(browser) == []
