"""End to end in headless Chromium: the solver page answers the budget slider and the permalink."""

import json
from pathlib import Path
from urllib.parse import unquote

import pytest


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


def _boxes(page, selector):
    return page.locator(selector).evaluate_all(
        "els => els.map(e => { const b = e.getBoundingClientRect();"
        " return [e.closest('g').dataset.node, e.textContent, b.left, b.right, b.top, b.bottom]; })"
    )


@pytest.mark.parametrize("width", [1300, 800])
def test_the_whole_taxonomy_fits_the_page_with_every_full_name(server, browser, artifacts, width):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(server + "/")
    page.wait_for_selector("#graph g.root")
    for budget in (1, 6, 26):
        page.locator("#budget").fill(str(budget))
        page.wait_for_function(
            f"document.querySelector('#status').textContent.includes('budget {budget} ')"
        )
        targets = page.locator("#result tbody tr").evaluate_all(
            "rows => rows.map(r => r.dataset.target)"
        )
        names = _boxes(page, "#graph g text.name")
        shown = {node: text for node, text, *_ in names}
        for target in targets:
            assert shown.get(target) == target  # the full name, not a cut one
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        for node, _, left, right, _, _ in names:
            assert left >= 0 and right <= width, (node, left, right)
        rects = _boxes(page, "#graph g rect")
        for i, a in enumerate(rects):
            for b in rects[i + 1 :]:
                apart = a[3] <= b[2] or b[3] <= a[2] or a[5] <= b[4] or b[5] <= a[4]
                assert apart, (a[0], b[0])  # no two nodes overlap
        page.screenshot(path=str(artifacts / f"solver_{width}px_b{budget}.png"), full_page=True)


def test_hovering_a_target_shows_its_value_gain_and_quality(server, browser):
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    page.goto(server + "/")
    page.wait_for_selector("#graph g.target")
    title = page.locator("#graph g.target title").first.text_content()
    assert "value" in title and "Gain" in title and "Quality" in title
    fill = page.locator("#graph g.target rect").first.evaluate("r => r.style.fill")
    page.locator("#colour-by").select_option("gain")
    assert page.locator("#graph g.target rect").first.evaluate("r => r.style.fill") != fill
