"""Editing records in Chromium, by role and label: a wrong value and its message, the review, the
save; two people editing the same record; a partial failure and its retry; an immutable stream; the
audit log of exactly the writes made."""

import re

import pytest
import requests
from playwright.sync_api import expect

from records.models import AuditEntry, AuditRecord
from tests.conftest import SIGNED_IN_AS_ADMIN, SIGNED_IN_AS_EDITOR

from .conftest import screenshot, serious_accessibility_violations

pytestmark = pytest.mark.browser


def signed_in_page(new_page, headers, bypass_csp=False):
    page = new_page(bypass_csp=bypass_csp)
    page.context.set_extra_http_headers(headers)
    return page


def open_editor(page, external_id):
    page.goto(f"/streams/equipment/records/plant/{external_id}")
    page.get_by_role("button", name="Edit", exact=True).click()
    expect(page.get_by_role("heading", name=f"Edit record {external_id}")).to_be_visible()


def property_value(page, name):
    """The value the record page shows for a property."""
    return (
        page.get_by_role("row")
        .filter(has=page.get_by_role("rowheader", name=name, exact=True))
        .get_by_role("cell")
        .last
    )


def test_edit_a_record_fix_a_wrong_value_review_and_save(new_page):
    page = signed_in_page(new_page, SIGNED_IN_AS_EDITOR, bypass_csp=True)
    open_editor(page, "eq-001")
    assert serious_accessibility_violations(page) == []
    site = page.get_by_label("site", exact=True)
    specs = page.get_by_label("specs", exact=True)
    site.fill("Tromsø")
    # Typing into a property the record does not have sets its state to a value.
    expect(page.get_by_label("parent: state")).to_have_value("absent")
    page.get_by_label("parent: space").fill("plant")
    page.get_by_label("parent: external id").fill("eq-010")
    expect(page.get_by_label("parent: state")).to_have_value("value")
    specs.fill('{"manufacturer": ')
    screenshot(page, "edit.png")
    page.get_by_role("button", name="Review changes").click()

    expect(page.get_by_role("alert").filter(has_text="Some values need fixing")).to_be_visible()
    expect(specs).to_have_value('{"manufacturer": ')
    expect(specs).to_have_accessible_description(re.compile(r"^“specs” is not valid JSON"))
    expect(site).to_have_value("Tromsø")
    assert serious_accessibility_violations(page) == []

    specs.fill('{"manufacturer": "Kongsberg"}')
    page.get_by_role("button", name="Review changes").click()
    expect(page.get_by_role("heading", name="Review the changes to eq-001")).to_be_visible()
    diff = page.get_by_role("table").first
    expect(diff.get_by_role("row", name=re.compile(r"^site "))).to_contain_text("Tromsø")
    expect(diff.get_by_role("row", name=re.compile(r"^specs "))).to_contain_text('"Kongsberg"')
    expect(diff.get_by_role("row", name=re.compile(r"^parent "))).to_contain_text("plant:eq-010")
    expect(diff.get_by_role("row")).to_have_count(4)  # the header and the three changes
    expect(page.locator("#curl")).to_contain_text("records/upsert")
    assert serious_accessibility_violations(page) == []
    screenshot(page, "diff.png")

    page.get_by_role("button", name="Save and replace the record").click()
    expect(page.get_by_role("status").filter(has_text="Record plant:eq-001 was saved.")).to_be_visible()
    expect(property_value(page, "site")).to_have_text("Tromsø")
    expect(property_value(page, "specs")).to_contain_text("Kongsberg")

    entry = AuditEntry.objects.get()
    changed = entry.records.get().changes["plant.Equipment"]
    assert set(changed) == {"site", "specs", "parent"}
    assert changed["site"]["after"] == "Tromsø" and changed["parent"] == {
        "after": {"space": "plant", "externalId": "eq-010"}
    }


def test_the_second_of_two_editors_sees_the_conflict_and_chooses(new_page):
    eddie = signed_in_page(new_page, SIGNED_IN_AS_EDITOR, bypass_csp=True)
    ada = signed_in_page(new_page, SIGNED_IN_AS_ADMIN)
    open_editor(eddie, "eq-002")
    open_editor(ada, "eq-002")

    ada.get_by_label("site", exact=True).fill("Ada's site")
    ada.get_by_role("button", name="Review changes").click()
    ada.get_by_role("button", name="Save and replace the record").click()
    expect(ada.get_by_role("status").filter(has_text="was saved")).to_be_visible()

    eddie.get_by_label("site", exact=True).fill("Eddie's site")
    eddie.get_by_label("Name", exact=True).fill("Renamed by Eddie")
    eddie.get_by_role("button", name="Review changes").click()
    eddie.get_by_role("button", name="Save and replace the record").click()
    expect(eddie.get_by_role("heading", name="plant:eq-002 changed while you were editing")).to_be_visible()
    row = eddie.get_by_role("row", name=re.compile(r"^plant\.Equipment\.site"))
    expect(row).to_contain_text("Ada's site")
    expect(row).to_contain_text("Eddie's site")
    assert serious_accessibility_violations(eddie) == []
    screenshot(eddie, "conflict.png")
    row.get_by_role("radio", name="Theirs").check()
    eddie.get_by_role("button", name="Apply my choices and review").click()
    eddie.get_by_role("button", name="Save and replace the record").click()
    expect(eddie.get_by_role("status").filter(has_text="was saved")).to_be_visible()
    expect(property_value(eddie, "site")).to_have_text("Ada's site")
    expect(property_value(eddie, "name")).to_have_text("Renamed by Eddie")
    assert [(e.username, e.outcome) for e in AuditEntry.objects.order_by("at")] == [
        ("ada", "succeeded"),
        ("eddie", "succeeded"),
    ]


@pytest.mark.usefixtures("fault_injection")
def test_a_partial_failure_is_reported_per_record_and_the_retry_succeeds(new_page, app, settings):
    settings.CDF_MAX_RETRIES = 1
    page = signed_in_page(new_page, SIGNED_IN_AS_EDITOR, bypass_csp=True)
    page.goto(
        "/streams/equipment/?mode=sorted&source=plant.Equipment&column=plant.Equipment.name&window=all"
        "&sort=externalId&dir=asc&size=10"
    )
    page.get_by_role("checkbox", name="Select plant:eq-005").check()
    page.get_by_role("checkbox", name="Select plant:eq-006").check()
    fault = {
        "project": "demo",
        "endpoint": "records/delete",
        "status": 503,
        "count": 2,
        "failRecords": ["plant:eq-006"],
    }
    assert requests.post(app.url + "/emulator/_faults", json=fault, timeout=30).status_code == 201
    page.get_by_role("button", name="Delete selected…").click()
    expect(page.get_by_role("heading", name="Delete 2 records?")).to_be_visible()
    assert serious_accessibility_violations(page) == []
    page.get_by_role("button", name="Delete these 2 records").click()

    expect(page.get_by_role("heading", name="Some records were not deleted")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(r"^plant:eq-005"))).to_contain_text("deleted")
    expect(page.get_by_role("row", name=re.compile(r"^plant:eq-006"))).to_contain_text("failed 503")
    assert serious_accessibility_violations(page) == []
    page.get_by_role("button", name="Retry the failed ones").click()
    expect(page.get_by_role("status").filter(has_text="Deleted 1 record: plant:eq-006.")).to_be_visible()
    assert [(r.external_id, r.succeeded) for r in AuditRecord.objects.order_by("id")] == [
        ("eq-005", True),
        ("eq-006", False),
        ("eq-006", True),
    ]


def test_an_immutable_stream_offers_no_edit_but_a_corrected_copy(new_page):
    page = signed_in_page(new_page, SIGNED_IN_AS_EDITOR)
    page.goto("/streams/sensor-readings/records/plant/r-000010")
    expect(
        page.get_by_text("This stream is immutable: its records cannot be edited or deleted.")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Edit", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Delete…")).to_have_count(0)
    page.get_by_role("button", name="Write a corrected copy").click()
    expect(page.get_by_role("heading", name="New record")).to_be_visible()
    expect(page.get_by_label("External id", exact=True)).to_have_value("r-000010")


def test_the_audit_log_holds_exactly_the_writes_made(new_page):
    page = signed_in_page(new_page, SIGNED_IN_AS_ADMIN, bypass_csp=True)
    open_editor(page, "eq-003")
    page.get_by_label("site", exact=True).fill("Audited")
    page.get_by_role("button", name="Review changes").click()
    page.get_by_role("button", name="Back to the form").click()
    page.get_by_role("button", name="Review changes").click()  # reviewing writes nothing
    page.get_by_role("button", name="Save and replace the record").click()
    expect(page.get_by_role("status").filter(has_text="was saved")).to_be_visible()

    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    entries = page.locator("#audit-entries tbody tr")
    expect(entries).to_have_count(1)
    expect(entries.first).to_contain_text("ada")
    expect(entries.first).to_contain_text("plant:eq-003")
    expect(entries.first).to_contain_text("Audited")
    assert serious_accessibility_violations(page) == []
    screenshot(page, "audit.png")
    page.goto("/streams/equipment/records/plant/eq-003")
    page.get_by_role("link", name="History").click()
    expect(page.locator("#history tbody tr")).to_have_count(1)
