"""The query builder in Chromium: a steward builds and[range, or[containsAll, not[prefix]]] with the mouse
and the keyboard, reads the summary, saves the view, and opens it again from its link."""

import json
import re
from contextlib import contextmanager

import pytest
import requests
from playwright.sync_api import expect

from tests.conftest import EmulatorApi

from .conftest import screenshot, serious_accessibility_violations

pytestmark = pytest.mark.browser

ROWS = "#record-rows > tr"
START = (
    "/streams/equipment/?mode=sorted&window=all&size=200&source=plant.Equipment&column=plant.Equipment.name"
    "&column=plant.Equipment.tags&column=plant.Equipment.ratedPowerKw"
)
EXPECTED_FILTER = {
    "and": [
        {"range": {"property": ["plant", "Equipment", "ratedPowerKw"], "gte": 100}},
        {
            "or": [
                {"containsAll": {"property": ["plant", "Equipment", "tags"], "values": ["critical"]}},
                {"not": {"prefix": {"property": ["plant", "Equipment", "name"], "value": "Pump"}}},
            ]
        },
    ]
}


def shown_ids(page) -> list[str]:
    return page.locator(f"{ROWS} th a").all_inner_texts()


def expected_ids(app) -> list[str]:
    answer = EmulatorApi(app.url, project="demo").post(
        "/streams/equipment/records/filter",
        {
            "filter": EXPECTED_FILTER,
            "sort": [
                {"property": ["lastUpdatedTime"], "direction": "descending"},
                {"property": ["externalId"], "direction": "descending"},
            ],
            "limit": 201,
        },
    )
    return [item["externalId"] for item in answer.json()["items"]][:200]


@contextmanager
def redrawn(page):
    """Waits until htmx has answered what the block did (htmx marks elements waiting for an answer)."""
    yield
    expect(page.locator(".htmx-request")).to_have_count(0)


def choose(page, what: str, condition: str, label: str):
    """Choose a property or an operator, and wait for the builder to be redrawn for it."""
    with redrawn(page):
        page.get_by_label(f"{what} of condition {condition}").select_option(label=label)


def choose_property(page, condition: str, label: str):
    choose(page, "Property", condition, label)


def test_build_summarise_save_and_reopen_a_nested_filter(page, new_page, app):
    page.goto(START)
    expect(page.locator(ROWS).first).to_be_visible()
    builder = page.get_by_role("group", name="Filter")

    # and[ range ]
    with redrawn(page):
        builder.get_by_role("button", name="Add condition").click()
    choose_property(page, "1", "ratedPowerKw (float64)")
    choose(page, "Operator", "1", "is in the range")
    expect(page.get_by_label("Lower bound of condition 1")).to_be_visible()
    page.get_by_label("Lower bound of condition 1").select_option(label=">= (at least)")
    lower = page.get_by_label("Lower value of condition 1")
    lower.click()
    lower.press_sequentially("100")

    # or[ containsAll, not[prefix] ] as a group
    with redrawn(page):
        page.get_by_role("button", name="Add group to the filter").click()
    with redrawn(page):
        page.get_by_role("button", name="Add condition to group 2").click()
    page.get_by_label("Match in group 2").select_option(label="any of these (or)")
    choose_property(page, "2.1", "tags (text[])")
    expect(page.get_by_label("Operator of condition 2.1")).to_have_value("containsAny")  # fits text[]
    choose(page, "Operator", "2.1", "contains all of")
    page.get_by_role("textbox", name="Value 1 of condition 2.1").fill("critical")

    # The keyboard: focus a button, press Enter; then Space on the Not toggle.
    page.get_by_role("button", name="Add condition to group 2").focus()
    with redrawn(page):
        page.keyboard.press("Enter")
    choose_property(page, "2.2", "Name (text)")
    choose(page, "Operator", "2.2", "starts with")
    page.get_by_label("Value of condition 2.2").fill("Pump")
    not_toggle = page.get_by_role("group", name="Change condition 2.2").get_by_role("button", name="Not")
    not_toggle.focus()
    with redrawn(page):
        page.keyboard.press("Space")
    expect(
        page.get_by_role("group", name="Change condition 2.2").get_by_role("button", name="Not")
    ).to_have_attribute("aria-pressed", "true")
    expect(lower).to_have_value("100")  # nothing typed is lost by the redraws

    # The JSON view is the exact filter.
    page.get_by_text("Filter as JSON").click()
    assert json.loads(page.get_by_label(re.compile("The CDF filter JSON")).input_value()) == EXPECTED_FILTER

    page.get_by_role("button", name="Show records", exact=True).click()
    summary = page.locator("#filter-summary")
    expect(summary).to_have_text(
        "Filter: ratedPowerKw >= 100 and (tags contains all of 'critical' or not name starts with 'Pump')"
    )
    page.wait_for_url(re.compile(r"filter="))
    expected = expected_ids(app)
    assert expected and shown_ids(page) == expected
    screenshot(page, "query-builder.png")

    # Save the view and open it again from its link, in a fresh browser.
    page.get_by_text("Saved views (0)").click()
    page.get_by_label("Save this view as").fill("Big non-pumps or critical")
    page.get_by_label("Share with everyone").check()
    page.get_by_role("button", name="Save view").click()
    expect(page.get_by_text("Saved the view “Big non-pumps or critical”.")).to_be_visible()
    page.get_by_text("Saved views (1)").click()
    link = page.get_by_role("link", name="Big non-pumps or critical")
    href = link.get_attribute("href")
    other = new_page()
    other.goto(href)
    expect(other.locator("#filter-summary")).to_have_text(summary.inner_text())
    assert shown_ids(other) == expected
    expect(other.get_by_label("Lower value of condition 1")).to_have_value("100")


def test_bad_values_are_named_at_the_condition_and_the_results_stay(new_page):
    page = new_page(bypass_csp=True)  # for axe-core
    page.goto(START)
    expect(page.locator(ROWS).first).to_be_visible()
    before = shown_ids(page)
    page.get_by_role("group", name="Filter").get_by_role("button", name="Add condition").click()
    choose_property(page, "1", "commissionedAt (timestamp)")
    value = page.get_by_label("Value of condition 1")
    value.fill("2026-01-01T00:00:00")
    value.press("Enter")
    errors = page.locator("[id='q.0-errors']")
    expect(errors).to_contain_text("must give its time zone, e.g. 2026-01-01T00:00:00Z for UTC")
    expect(page.get_by_label("Value of condition 1")).to_have_value("2026-01-01T00:00:00")
    assert shown_ids(page) == before and "filter=" not in page.url
    assert serious_accessibility_violations(page) == []


@pytest.mark.usefixtures("fault_injection")
def test_what_is_typed_while_the_builder_is_redrawn_is_kept(page, app):
    page.goto(START)
    page.get_by_role("group", name="Filter").get_by_role("button", name="Add condition").click()
    choose_property(page, "1", "site (text)")
    # The next redraw is slow (CDF answers late); the user types on meanwhile.
    slow = {"project": "demo", "endpoint": "streams/retrieve", "delayMs": 1500, "count": 1}
    assert requests.post(app.url + "/emulator/_faults", json=slow, timeout=10).status_code == 201
    with redrawn(page):
        page.get_by_label("Operator of condition 1").select_option(label="starts with")
        page.get_by_label("Value of condition 1").fill("Berg")
    expect(page.get_by_label("Operator of condition 1")).to_have_value("prefix")
    expect(page.get_by_label("Value of condition 1")).to_have_value("Berg")
