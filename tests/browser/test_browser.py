"""The record browser in Chromium, used the way a person does: by role and label."""

import re

import pytest
import requests
from playwright.sync_api import expect

from tests.conftest import TOKEN

from .conftest import screenshot, serious_accessibility_violations

pytestmark = pytest.mark.browser

ROWS = "#record-rows > tr"


def open_stream(page, stream_id):
    page.goto("/")
    page.get_by_role("link", name=stream_id, exact=True).click()
    expect(page.get_by_role("heading", name=f"Records in {stream_id}")).to_be_visible()


def last_updated_times(page) -> list[str]:
    return page.locator(f"{ROWS} td:nth-of-type(3) time").evaluate_all(
        "els => els.map(el => el.getAttribute('datetime'))"
    )


def external_ids(page) -> list[str]:
    return page.locator(f"{ROWS} th").evaluate_all("els => els.map(el => el.firstChild.textContent.trim())")


def test_pick_columns_load_three_pages_open_a_record_and_share_the_view(page, new_page):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/")
    expect(page.get_by_role("heading", name="Streams")).to_be_visible()
    screenshot(page, "streams.png")
    open_stream(page, "alarms")
    default_url = page.url
    assert "source=plant.Alarm" in default_url and "mode=sync" in default_url

    page.get_by_text("Containers and columns (").click()
    page.get_by_role("checkbox", name="Sensor reading", exact=True).uncheck()
    page.get_by_role("checkbox", name="Alarm: acknowledged", exact=True).check()
    page.get_by_role("checkbox", name="Alarm: raisedAt", exact=True).uncheck()
    page.get_by_label("Start from").select_option(label="30 days ago")
    page.get_by_label("Page size").fill("20")
    page.get_by_role("button", name="Show records").click()
    page.wait_for_url(re.compile(r"size=20"))
    assert "column=plant.Alarm.acknowledged" in page.url and "source=plant.Reading" not in page.url
    headers = page.get_by_role("columnheader")
    expect(headers.filter(has_text="acknowledged")).to_have_count(1)
    expect(headers.filter(has_text="raisedAt")).to_have_count(0)
    expect(page.get_by_role("columnheader", name="Sensor reading")).to_have_count(0)
    expect(page.locator(ROWS)).to_have_count(20)
    expect(page.locator(f"{ROWS} .badge-created").first).to_be_visible()

    page.get_by_role("button", name="Load more").click()
    expect(page.locator(ROWS)).to_have_count(40)
    page.get_by_role("button", name="Load more").click()
    expect(page.locator(ROWS)).to_have_count(60)
    expect(page.get_by_role("status").filter(has_text="Showing 60 records")).to_be_visible()
    ids = external_ids(page)
    assert len(set(ids)) == 60
    # Loading more does not change the address: the cursor is not part of the shareable view.
    assert "cursor" not in page.url
    view_url = page.url
    screenshot(page, "browser.png", at="#results")

    record_id = ids[41]
    page.get_by_role("link", name=record_id, exact=True).click()
    expect(page.get_by_role("heading", name=f"Record {record_id}")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(r"^Alarm"))).to_be_visible()
    raised = page.get_by_role("row", name=re.compile(r"^raisedAt")).locator("time")
    assert re.match(r"\d{4}-\d\d-\d\dT", raised.get_attribute("datetime"))
    assert raised.get_attribute("title") == raised.get_attribute("datetime")  # localised, raw value at hand
    expect(page.get_by_role("row", name=re.compile(r"^equipment")).locator("td code").last).to_have_text(
        re.compile(r"^plant:eq-\d{3}$")
    )
    expect(page.get_by_text("curl -X POST")).to_contain_text(f'"value":"{record_id}"')
    page.get_by_role("button", name="Copy as curl").click()
    expect(page.get_by_role("status").filter(has_text="Copied")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("curl -X POST") and "/streams/alarms/records/filter" in copied
    screenshot(page, "record.png")

    record_url = page.url
    page.get_by_role("link", name="Back to the records").click()
    page.wait_for_url(view_url)

    shared = new_page()
    shared.goto(view_url)
    expect(shared.locator(ROWS)).to_have_count(20)
    assert external_ids(shared) == ids[:20]
    shared.get_by_text("Containers and columns (").click()
    expect(shared.get_by_role("checkbox", name="Alarm: acknowledged", exact=True)).to_be_checked()
    expect(shared.get_by_label("Page size")).to_have_value("20")
    shared.goto(record_url)
    expect(shared.get_by_role("heading", name=f"Record {record_id}")).to_be_visible()


def test_back_and_forward_restore_the_view_and_the_choice_is_remembered(page):
    open_stream(page, "alarms")
    first_url = page.url
    page.get_by_label("Page size").fill("7")
    page.get_by_role("button", name="Show records").click()
    page.wait_for_url(re.compile(r"size=7"))
    expect(page.locator(ROWS)).to_have_count(7)
    page.go_back()
    page.wait_for_url(first_url)
    expect(page.get_by_label("Page size")).to_have_value("50")
    page.go_forward()
    page.wait_for_url(re.compile(r"size=7"))
    expect(page.get_by_label("Page size")).to_have_value("7")

    page.get_by_text("Containers and columns (").click()
    page.get_by_role("checkbox", name="Sensor reading", exact=True).uncheck()
    page.get_by_role("button", name="Show records").click()
    page.wait_for_url(lambda url: "source=plant.Reading" not in url)
    # The columns of the unticked container go too, and the choice is remembered for the stream.
    assert "plant.Reading" not in page.url
    open_stream(page, "alarms")
    assert "plant.Reading" not in page.url and "source=plant.Alarm" in page.url


def test_sorted_mode_pages_through_a_window_newest_first(page):
    open_stream(page, "alarms")
    page.get_by_label("Sorted list within a time window").check()
    expect(page.get_by_label("Start from")).to_be_hidden()
    page.get_by_label("Last updated within").select_option(label="the last 7 days")
    page.get_by_label("Page size").fill("25")
    page.get_by_role("button", name="Show records").click()
    page.wait_for_url(re.compile(r"mode=sorted"))
    assert "window=7d" in page.url and "sort=lastUpdatedTime" in page.url
    count = int(page.locator("#record-count strong").inner_text())
    assert 0 < count < 800
    expect(page.locator(ROWS)).to_have_count(min(count, 25))
    while page.get_by_role("button", name="Load more").count():
        shown = page.locator(ROWS).count()
        page.get_by_role("button", name="Load more").click()
        expect(page.locator(ROWS)).not_to_have_count(shown)
    expect(page.get_by_text("You have reached the last record in this window")).to_be_visible()
    times = last_updated_times(page)
    ids = external_ids(page)
    assert len(ids) == count and len(set(ids)) == count
    assert times == sorted(times, reverse=True)


def test_sorted_mode_by_a_property(page):
    open_stream(page, "alarms")
    page.get_by_label("Sorted list within a time window").check()
    page.get_by_label("Sort key 1").select_option(label="Alarm · raisedAt")
    page.get_by_label("Direction 1").select_option(label="ascending")
    page.get_by_label("Sort key 2").select_option(label="(none)")
    page.get_by_label("Page size").fill("10")
    page.get_by_role("button", name="Show records").click()
    page.wait_for_url(re.compile(r"sort=plant.Alarm.raisedAt"))
    expect(page.locator(ROWS)).to_have_count(10)
    raised = page.locator(f"{ROWS} td:nth-of-type(4) time").evaluate_all(
        "els => els.map(el => el.getAttribute('datetime'))"
    )
    assert raised == sorted(raised)
    expect(page.get_by_text("further pages need")).to_be_visible()


def test_immutable_stream_explains_its_window_and_refuses_a_wider_one(page):
    open_stream(page, "sensor-readings")
    note = page.locator("#stream-note")
    expect(note).to_contain_text("retained for 7 days")
    expect(note).to_contain_text("at most 7 days (its maxFilteringInterval)")
    page.get_by_label("Sorted list within a time window").check()
    window = page.get_by_label("Last updated within")
    expect(window).to_have_value("7d")  # the default is clamped to what the stream allows
    window.select_option(label="the last 30 days")
    page.get_by_label("Page size").fill("15")
    shown_before = page.locator(ROWS).count()
    page.get_by_role("button", name="Show records").click()
    expect(window).to_have_attribute("aria-invalid", "true")
    expect(window).to_have_accessible_description(re.compile("wider than this stream allows.*at most 7 days"))
    expect(page.get_by_label("Page size")).to_have_value("15")  # the other choices are kept
    # Nothing was asked of CDF: the last valid results and their address stay.
    expect(page.locator(ROWS)).to_have_count(shown_before)
    assert "window=30d" not in page.url
    window.select_option(label="the last 1 day")
    page.get_by_role("button", name="Show records").click()
    page.wait_for_url(re.compile(r"window=1d"))
    expect(page.locator(ROWS)).to_have_count(15)
    expect(page.get_by_text("records updated in the last 1 day")).to_be_visible()


@pytest.mark.usefixtures("fault_injection")
def test_bad_input_gets_a_message_not_a_server_error(page, app):
    response = page.goto("/streams/no-such-stream/")
    assert response.status == 404
    expect(page.get_by_text("There is no stream “no-such-stream”")).to_be_visible()
    page.goto("/streams/Bad%20Id/")
    expect(page.get_by_text("is not a valid stream id")).to_be_visible()
    page.get_by_role("link", name="Back to the streams").click()
    expect(page.get_by_role("heading", name="Streams")).to_be_visible()

    response = page.goto("/streams/alarms/?mode=sync&source=plant.Alarm&source=plant.Nope&size=0&start=7d")
    assert response.status == 200
    size = page.get_by_label("Page size")
    expect(size).to_have_value("0")
    expect(size).to_have_accessible_description(re.compile("from 1 to 1000"))
    expect(page.get_by_text("Unknown record container plant.Nope").first).to_be_visible()
    expect(page.get_by_label("Start from")).to_have_value("7d")
    page.get_by_role("link", name="Reset to the default view").first.click()
    expect(page.locator(ROWS).first).to_be_visible()

    page.goto("/streams/alarms/?mode=sync&source=plant.Alarm&size=5&start=30d&cursor=tampered")
    expect(page.get_by_text("The change-feed position in this link is not valid any more")).to_be_visible()
    page.get_by_role("link", name="Start again").first.click()
    expect(page.locator(ROWS)).to_have_count(5)

    fault = {"project": "demo", "endpoint": "records/sync", "status": 403, "count": 1}
    requests.post(f"{app.url}/emulator/_faults", json=fault, timeout=10)
    page.reload()
    expect(page.get_by_role("alert")).to_contain_text("Your CDF access does not allow this")
    expect(page.get_by_role("alert")).to_contain_text("CDF request id")
    page.get_by_role("link", name="Try again").click()
    expect(page.locator(ROWS)).to_have_count(5)


def test_deleted_records_are_marked_in_the_feed(page, app):
    api = f"{app.url}/emulator/api/v1/projects/demo/streams/alarms/records/delete"
    body = {"items": [{"space": "plant", "externalId": "alarm-00799"}]}
    answer = requests.post(api, json=body, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    assert answer.ok, answer.text
    page.goto("/streams/alarms/?mode=sync&source=plant.Alarm&start=1h&size=1000")
    row = page.get_by_role("row", name=re.compile("alarm-00799"))
    expect(row.locator(".badge-deleted")).to_have_text("deleted")
    expect(page.get_by_text("You have reached the end of the change feed")).to_be_visible()


def test_accessibility_of_the_streams_page_the_browser_and_a_record(new_page):
    page = new_page(bypass_csp=True)
    page.goto("/")
    assert serious_accessibility_violations(page) == []
    open_stream(page, "sensor-readings")
    page.get_by_text("Containers and columns (").click()
    assert serious_accessibility_violations(page) == []
    page.get_by_label("Sorted list within a time window").check()
    window = page.get_by_label("Last updated within")
    window.select_option(label="the last 30 days")
    page.get_by_role("button", name="Show records").click()
    expect(window).to_have_attribute("aria-invalid", "true")
    assert serious_accessibility_violations(page) == []
    page.goto("/streams/equipment/records/plant/eq-011")
    expect(page.get_by_role("heading", name="Record eq-011")).to_be_visible()
    assert serious_accessibility_violations(page) == []


def test_load_on_scroll(page):
    page.goto("/streams/sensor-readings/?mode=sync&source=plant.Reading&start=7d&size=30")
    expect(page.locator(ROWS)).to_have_count(30)
    page.get_by_label("Load more on scroll").check()
    page.get_by_role("button", name="Show records").click()
    page.wait_for_url(re.compile(r"scroll=1"))
    expect(page.get_by_role("button", name="Load more")).to_be_visible()
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # reveals "Load more"
    expect(page.locator(ROWS)).not_to_have_count(30)
    assert len(set(external_ids(page))) == page.locator(ROWS).count()
