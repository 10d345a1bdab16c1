"""End to end in headless Chromium: the solver page answers the budget slider and the permalink."""

import json
from pathlib import Path
from urllib.parse import unquote


def _roots(page):
    return sorted(page.locator("#graph g.root").evaluate_all("gs => gs.map(g => g.dataset.node)"))


def test_budget_slider_changes_the_graph(server, browser, artifacts):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(server + "/")
    page.wait_for_selector("#graph g.root")
    assert page.locator("#status").inner_text().startswith("optimal")
    before = _roots(page)
    assert len(before) <= 6
    page.locator("#budget").fill("10")
    page.wait_for_function("document.querySelectorAll('#graph g.root').length > 6")
    after = _roots(page)
    assert len(after) > len(before)
    assert page.locator("#result tbody tr").count() == len(page.locator("#graph g.target").all())
    page.screenshot(path=str(artifacts / "solver.png"), full_page=True)

    # The permalink holds the settings and restores them in a new page.
    settings = json.loads(unquote(page.url.split("#", 1)[1]))
    assert settings["budget"] == 10
    other = browser.new_page()
    other.goto(page.url)
    other.wait_for_selector("#graph g.root")
    assert other.locator("#budget").input_value() == "10"
    assert _roots(other) == after

    # Download gives the solution shown.
    with page.expect_download() as info:
        page.locator("#download").click()
    data = json.loads(Path(info.value.path()).read_text())
    assert sorted(data["roots"]) == after


def test_bad_setting_shows_the_message(server, browser):
    page = browser.new_page()
    page.goto(server + "/")
    page.wait_for_selector("#graph g.root")
    page.locator("#budget").evaluate("e => { e.min = 0; e.value = 0; }")
    page.locator("#budget").dispatch_event("input")
    page.wait_for_function("document.querySelector('#status').className === 'infeasible'")
    assert "budget" in page.locator("#status").inner_text()
    assert page.locator("#graph g").count() == 0
