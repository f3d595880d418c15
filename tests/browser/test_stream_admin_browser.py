"""Creating and deleting a stream in Chromium as an admin, by role and label."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import SIGNED_IN_AS_ADMIN

from .conftest import serious_accessibility_violations

pytestmark = pytest.mark.browser


def admin_page(new_page, bypass_csp=False):
    page = new_page(bypass_csp=bypass_csp)
    page.context.set_extra_http_headers(SIGNED_IN_AS_ADMIN)
    return page


def test_admin_creates_and_deletes_a_stream(new_page):
    page = admin_page(new_page)
    page.goto("/")
    page.get_by_role("button", name="New stream").click()
    expect(page.get_by_role("heading", name="New stream")).to_be_visible()

    stream_id = page.get_by_label("Stream id")
    stream_id.fill("Pump Log")
    page.get_by_role("radio", name=re.compile(r"^BasicLiveData")).check()
    page.get_by_role("button", name="Create stream").click()
    expect(stream_id).to_have_value("Pump Log")
    expect(stream_id).to_have_accessible_description(re.compile(r"^Stream id “Pump Log”: use 1 to 100"))
    expect(page.get_by_role("radio", name=re.compile(r"^BasicLiveData"))).to_be_checked()

    stream_id.fill("pump-log")
    page.get_by_role("button", name="Create stream").click()
    expect(page.get_by_role("heading", name="Records in pump-log")).to_be_visible()
    expect(
        page.get_by_role("status").filter(has_text="Stream pump-log was created from BasicLiveData")
    ).to_be_visible()

    page.get_by_role("link", name="Streams", exact=True).first.click()
    page.get_by_role("link", name="Delete pump-log").click()
    expect(page.get_by_role("heading", name="Delete stream pump-log")).to_be_visible()
    confirm = page.get_by_label("Type the stream id, pump-log, to confirm")
    confirm.fill("pump-lo")
    page.get_by_role("button", name="Delete stream pump-log").click()
    expect(confirm).to_have_value("pump-lo")
    expect(confirm).to_have_accessible_description(re.compile(r"type the stream id “pump-log” exactly"))

    confirm.fill("pump-log")
    page.get_by_role("button", name="Delete stream pump-log").click()
    expect(page.get_by_role("heading", name="Streams", exact=True)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(
        "Stream pump-log was deleted. Its id stays reserved for 42 days."
    )
    expect(page.get_by_role("link", name="pump-log", exact=True)).to_have_count(0)


def test_accessibility_of_the_stream_admin_pages(new_page):
    page = admin_page(new_page, bypass_csp=True)
    page.goto("/new-stream/")
    assert serious_accessibility_violations(page) == []
    page.get_by_role("button", name="Create stream").click()
    expect(page.get_by_text("Stream id: enter an id")).to_be_visible()
    assert serious_accessibility_violations(page) == []
    page.goto("/streams/alarms/delete/")
    page.get_by_role("button", name="Delete stream alarms").click()
    expect(page.get_by_text("Confirmation: type the stream id")).to_be_visible()
    assert serious_accessibility_violations(page) == []
