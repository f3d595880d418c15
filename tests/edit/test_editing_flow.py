"""Editing, creating and deleting records over real HTTP against the emulator: roles, validation,
preview, conflicts, partial failures and the audit log."""

import html
import json
import re
import time

import pytest
import requests

from records.cdf import get_client
from records.edit import views as editor_views
from records.models import AuditEntry, AuditRecord
from tests.conftest import SIGNED_IN_AS_VIEWER, TOKEN
from tests.forms import form_fields, post_form

RECORDS = "/emulator/api/v1/projects/demo/streams/{}/records/filter"
EDIT = "/streams/equipment/edit/plant/eq-001"


def signed_in(headers: dict) -> requests.Session:
    session = requests.Session()
    session.headers.update(headers)
    return session


def cdf_records(app, stream: str, external_id: str) -> list[dict]:
    body = {
        "filter": {"equals": {"property": ["externalId"], "value": external_id}},
        "sources": [
            {"source": {"type": "container", "space": "plant", "externalId": c}, "properties": ["*"]}
            for c in ("Equipment", "Reading", "Alarm")
        ],
        "limit": 10,
    }
    if stream == "sensor-readings":
        # An immutable stream is read within its window (maxFilteringInterval, 7 days here).
        body["lastUpdatedTime"] = {"gt": int(time.time() * 1000) - 6 * 86_400_000}
    answer = requests.post(
        app.url + RECORDS.format(stream), json=body, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def equipment(app, external_id: str = "eq-001") -> dict:
    return cdf_records(app, "equipment", external_id)[0]["properties"]["plant"]["Equipment"]


def colleague_upsert(app, external_id: str, values: dict) -> None:
    item = {
        "space": "plant",
        "externalId": external_id,
        "sources": [
            {
                "source": {"type": "container", "space": "plant", "externalId": "Equipment"},
                "properties": values,
            }
        ],
    }
    answer = requests.post(
        app.url + "/emulator/api/v1/projects/demo/streams/equipment/records/upsert",
        json={"items": [item]},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=30,
    )
    assert answer.status_code == 202, answer.text


def preview_edit(app, editor, **values) -> requests.Response:
    """Open the edit form of eq-001 and ask for the review of these form values."""
    form = editor.get(app.url + EDIT, timeout=30)
    return post_form(editor, app.url, form, step="preview", **values)


def field_error(page: str, field_id: str) -> str:
    match = re.search(rf'<small id="{re.escape(field_id)}-error" class="field-error">([^<]*)</small>', page)
    return html.unescape(match.group(1)) if match else ""


def confirm_delete(app, session, page, stream: str, record: str):
    """Post the confirmed deletion of a record, with the CSRF token of `page`, as a forged form would."""
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return session.post(
        app.url + f"/streams/{stream}/delete-records/",
        data={"csrfmiddlewaretoken": token, "record": record, "confirm": "yes"},
        headers={"Referer": page.url},
        timeout=30,
    )


def test_viewers_cannot_edit_or_delete_and_see_why(app):
    viewer = signed_in(SIGNED_IN_AS_VIEWER)
    assert viewer.get(app.url + EDIT, timeout=30).status_code == 403
    page = viewer.get(app.url + "/streams/equipment/records/plant/eq-001", timeout=30)
    assert page.status_code == 200
    assert "Writing records needs the editor role; you are a viewer." in page.text
    assert '<button type="button" disabled aria-describedby="read-only-reason">Edit</button>' in page.text
    refused = confirm_delete(app, viewer, page, "equipment", "plant:eq-001")
    assert refused.status_code == 403 and "needs the editor role" in refused.text
    assert cdf_records(app, "equipment", "eq-001")
    assert not AuditEntry.objects.exists()


def test_an_edit_is_previewed_then_saved_keeping_every_other_property(app, editor):
    before = equipment(app)
    form = editor.get(app.url + EDIT, timeout=30)
    assert form.status_code == 200
    _, fields = form_fields(form.text)
    names = {name for name, _ in fields}
    # Every property of the container is in the form, set or not.
    assert {f"state:plant.Equipment.{p}" for p in ("name", "site", "documents", "relatedTo")} <= names

    preview = post_form(editor, app.url, form, step="preview", **{"value:plant.Equipment.site": "Tromsø"})
    assert preview.status_code == 200
    assert "This <strong>replaces the whole record</strong>" in preview.text
    diff = re.findall(
        r"<th scope=\"row\">(\w+)</th><td><del>([^<]*)</del></td><td><ins>([^<]*)</ins>", preview.text
    )
    assert diff == [("site", before["site"], "Tromsø")]
    assert "curl -X POST" in preview.text and "records/upsert" in preview.text and "Tromsø" in preview.text
    assert equipment(app)["site"] == before["site"]  # nothing sent yet

    saved = post_form(editor, app.url, preview, step="save")
    assert saved.status_code == 200 and saved.url.endswith("/streams/equipment/records/plant/eq-001")
    assert "Record plant:eq-001 was saved." in saved.text and "Tromsø" in saved.text
    assert equipment(app) == {**before, "site": "Tromsø"}

    entry = AuditEntry.objects.get()
    assert len(entry.request_ids) == 1 and entry.request_ids[0]  # CDF's id of the upsert
    assert (entry.username, entry.stream, entry.action, entry.outcome) == (
        "eddie",
        "equipment",
        "update",
        "succeeded",
    )
    record = entry.records.get()
    assert (record.space, record.external_id) == ("plant", "eq-001")
    assert record.changes == {"plant.Equipment": {"site": {"before": before["site"], "after": "Tromsø"}}}


def test_going_back_from_the_preview_keeps_the_edits(app, editor):
    preview = preview_edit(app, editor, **{"value:plant.Equipment.site": "Alta"})
    back = post_form(editor, app.url, preview, step="edit")
    assert back.status_code == 200
    assert dict(form_fields(back.text)[1])["value:plant.Equipment.site"] == "Alta"


def test_a_wrong_value_is_reported_at_its_field_nothing_is_sent_and_the_input_is_kept(app, editor):
    before = equipment(app)
    answer = preview_edit(
        app,
        editor,
        **{"value:plant.Equipment.specs": '{"manufacturer": ', "value:plant.Equipment.site": "Vardø"},
    )
    assert answer.status_code == 400
    assert "is not valid JSON" in field_error(answer.text, "value-plant.Equipment.specs")
    kept = dict(form_fields(answer.text)[1])
    assert (
        kept["value:plant.Equipment.specs"] == '{"manufacturer": '
        and kept["value:plant.Equipment.site"] == "Vardø"
    )
    assert equipment(app) == before and not AuditEntry.objects.exists()


def test_a_direct_relation_into_an_unknown_space_is_refused_at_its_field(app, editor):
    answer = preview_edit(
        app,
        editor,
        **{
            "state:plant.Equipment.parent": "value",
            "space:plant.Equipment.parent": "nowhere",
            "xid:plant.Equipment.parent": "x",
        },
    )
    assert answer.status_code == 400
    assert "space “nowhere”, which does not exist" in field_error(answer.text, "value-plant.Equipment.parent")


def test_a_colleagues_change_since_the_form_was_opened_is_never_overwritten(app, editor):
    before = equipment(app)
    preview = preview_edit(
        app, editor, **{"value:plant.Equipment.site": "Mine", "value:plant.Equipment.name": "My name"}
    )
    colleague_upsert(app, "eq-001", {**before, "site": "Theirs", "efficiency": 0.5})

    conflict = post_form(editor, app.url, preview, step="save")
    assert conflict.status_code == 409
    assert "changed while you were editing" in conflict.text and "Nothing was saved." in conflict.text
    assert equipment(app)["site"] == "Theirs"
    rows = re.findall(
        r'<tr><th scope="row">([\w.]+)</th><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>', conflict.text
    )
    assert ("plant.Equipment.site", before["site"], "Theirs", "Mine") in rows
    assert ("plant.Equipment.efficiency", str(before["efficiency"]), "0.5", str(before["efficiency"])) in rows

    theirs = dict(form_fields(conflict.text)[1])["theirs"]
    tampered = post_form(editor, app.url, conflict, step="resolve", theirs=theirs[:-4] + "AAAA")
    assert tampered.status_code == 403
    unresolved = post_form(editor, app.url, conflict, step="resolve")
    assert unresolved.status_code == 409 and "Choose mine or theirs" in unresolved.text
    merged = post_form(editor, app.url, conflict, step="resolve", **{"choose:plant.Equipment.site": "mine"})
    assert merged.status_code == 200 and "Review the changes" in merged.text
    saved = post_form(editor, app.url, merged, step="save")
    assert saved.status_code == 200
    after = equipment(app)
    assert (after["site"], after["name"], after["efficiency"]) == ("Mine", "My name", 0.5)


def test_tampered_hidden_fields_are_refused(app, editor):
    form = editor.get(app.url + EDIT, timeout=30)
    _, fields = form_fields(form.text)
    base = dict(fields)["base"]
    refused = post_form(editor, app.url, form, step="save", base=base[:-4] + "AAAA")
    assert refused.status_code == 403 and "hidden fields were changed" in refused.text
    # A base signed for another record (its values differ from this one's) is no way round the check.
    other = editor.get(app.url + "/streams/equipment/edit/plant/eq-002", timeout=30)
    other_base = dict(form_fields(other.text)[1])["base"]
    preview = post_form(editor, app.url, form, step="preview", base=other_base)
    forged = post_form(editor, app.url, preview, step="save")
    assert forged.status_code == 409
    assert not AuditEntry.objects.exists()


def test_immutable_streams_offer_no_edit_and_refuse_forged_writes(app, editor):
    item = cdf_records(app, "sensor-readings", "r-000010")[0]
    page = editor.get(app.url + "/streams/sensor-readings/records/plant/r-000010", timeout=30)
    assert "This stream is immutable: its records cannot be edited or deleted." in page.text
    assert "/edit/" not in page.text and "Write a corrected copy" in page.text
    assert editor.get(app.url + "/streams/sensor-readings/edit/plant/r-000010", timeout=30).status_code == 403
    forged = confirm_delete(app, editor, page, "sensor-readings", "plant:r-000010")
    assert forged.status_code == 403 and "is immutable" in forged.text

    copy = editor.get(app.url + "/streams/sensor-readings/new-record/?copy_of=plant:r-000010", timeout=30)
    assert copy.status_code == 200 and "a corrected copy of" in copy.text
    preview = post_form(
        editor,
        app.url,
        copy,
        step="preview",
        externalId="r-000010-fixed",
        **{"state:plant.Reading.notes": "value", "value:plant.Reading.notes": "corrected"},
    )
    assert preview.status_code == 200 and "<strong>ingests a new record</strong>" in preview.text
    assert "/projects/demo/streams/sensor-readings/records \\" in preview.text  # the ingest endpoint
    written = post_form(editor, app.url, preview, step="save")
    assert written.status_code == 200 and "was written" in written.text
    fixed = cdf_records(app, "sensor-readings", "r-000010-fixed")[0]["properties"]["plant"]["Reading"]
    assert fixed == {**item["properties"]["plant"]["Reading"], "notes": "corrected"}
    assert AuditEntry.objects.get().action == "ingest"


def test_create_says_whether_it_creates_or_replaces(app, editor):
    pick = editor.get(app.url + "/streams/equipment/new-record/", timeout=30)
    assert 'name="ref" value="plant.Equipment"' in pick.text
    form = editor.get(app.url + "/streams/equipment/new-record/?ref=plant.Equipment", timeout=30)
    values = {
        "space": "plant",
        "value:plant.Equipment.name": "New pump",
        "value:plant.Equipment.kind": "PUMP",
    }
    missing = post_form(editor, app.url, form, step="preview", **values, externalId="")
    assert missing.status_code == 400 and "enter the record's external id" in field_error(
        missing.text, "record-external-id"
    )
    unknown = post_form(
        editor, app.url, form, step="preview", **{**values, "space": "atlantis"}, externalId="eq-new"
    )
    assert "does not exist" in field_error(unknown.text, "record-space")

    creates = post_form(editor, app.url, form, step="preview", **values, externalId="eq-new")
    assert "this <strong>creates it</strong>" in creates.text
    created = post_form(editor, app.url, creates, step="save")
    assert "was created" in created.text
    assert equipment(app, "eq-new") == {"name": "New pump", "kind": "PUMP", "active": True}

    replaces = post_form(editor, app.url, form, step="preview", **values, externalId="eq-002")
    assert "already exists: this <strong>replaces it</strong>" in replaces.text
    assert [e.action for e in AuditEntry.objects.order_by("at")] == ["create"]


def test_a_new_record_can_be_written_as_raw_json(app, editor):
    form = editor.get(app.url + "/streams/equipment/new-record/?ref=plant.Equipment", timeout=30)
    switch = re.search(r'<a href="([^"]+)">Write the raw JSON of the sources</a>', form.text)
    page = editor.get(app.url + html.unescape(switch.group(1)), timeout=30)
    assert "Fill in with the form" in page.text
    blank = json.loads(dict(form_fields(page.text)[1])["sources_json"])
    assert blank[0]["source"]["externalId"] == "Equipment"
    assert blank[0]["properties"]["name"] is None and "kind" in blank[0]["properties"]

    blank[0]["properties"].update(name="Raw pump", kind="PUMP")
    del blank[0]["properties"]["active"]
    typed = json.dumps(blank)
    fields = {"step": "preview", "space": "plant", "externalId": "eq-raw"}
    wrong = post_form(editor, app.url, page, **fields, sources_json=typed.replace('"PUMP"', '"ROCKET"'))
    assert wrong.status_code == 400
    assert "must be one of the enum values" in field_error(wrong.text, "sources-json")
    assert dict(form_fields(wrong.text)[1])["externalId"] == "eq-raw", "what was typed stays"

    preview = post_form(editor, app.url, page, **fields, sources_json=typed)
    assert preview.status_code == 200 and "this <strong>creates it</strong>" in preview.text
    assert "was created" in post_form(editor, app.url, preview, step="save").text
    assert equipment(app, "eq-raw")["name"] == "Raw pump"


@pytest.mark.usefixtures("fault_injection")
def test_delete_a_selection_with_a_partial_failure_and_retry_the_failed_one(app, editor, settings):
    settings.CDF_MAX_RETRIES = 1
    page = editor.get(app.url + "/streams/equipment/records/plant/eq-003", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    selection = {"csrfmiddlewaretoken": token, "record": ["plant:eq-003", "plant:eq-004"]}
    url = app.url + "/streams/equipment/delete-records/"
    confirm = editor.post(url, data=selection, headers={"Referer": page.url}, timeout=30)
    assert confirm.status_code == 200 and "Delete 2 records?" in confirm.text
    assert "plant:eq-003" in confirm.text and "plant:eq-004" in confirm.text
    assert cdf_records(app, "equipment", "eq-003")  # nothing deleted before the confirmation

    fault = {
        "project": "demo",
        "endpoint": "records/delete",
        "status": 503,
        "count": 2,
        "failRecords": ["plant:eq-004"],
    }
    assert requests.post(app.url + "/emulator/_faults", json=fault, timeout=30).status_code == 201
    partial = post_form(editor, app.url, confirm)
    assert partial.status_code == 502 and "1 deleted, 1 failed" in partial.text
    outcomes = re.findall(
        r'<tr><th scope="row">([^<]+)</th><td><span class="badge [\w-]+">(\w+)</span>', partial.text
    )
    assert outcomes == [("plant:eq-003", "deleted"), ("plant:eq-004", "failed")]
    assert not cdf_records(app, "equipment", "eq-003") and cdf_records(app, "equipment", "eq-004")

    retried = post_form(editor, app.url, partial)
    assert retried.status_code == 200 and "Deleted 1 record: plant:eq-004." in retried.text
    assert not cdf_records(app, "equipment", "eq-004")
    logged = [
        (r.entry.outcome, r.external_id, r.succeeded)
        for r in AuditRecord.objects.select_related("entry").order_by("entry__at", "id")
    ]
    assert logged == [
        ("partial", "eq-003", True),
        ("partial", "eq-004", False),
        ("succeeded", "eq-004", True),
    ]
    assert AuditRecord.objects.filter(external_id="eq-003").get().changes["plant.Equipment"]["name"]["before"]


def test_a_selection_is_read_in_one_call_not_one_per_record(app, monkeypatch):
    client = get_client()
    stream, containers = client.retrieve_stream("equipment"), client.list_containers()
    assert len(containers) <= 10, "one call per batch of ten containers"
    calls = []
    filter_records = client.filter_records
    monkeypatch.setattr(client, "filter_records", lambda *args: calls.append(args) or filter_records(*args))
    ids = [("plant", "eq-003"), ("plant", "eq-004"), ("plant", "no-such-record"), ("plant", "eq-003")]
    found = editor_views._read_records(client, stream, containers, ids)
    assert len(calls) == 1
    assert sorted(found) == [("plant", "eq-003"), ("plant", "eq-004")]
    for (space, external_id), record in found.items():
        assert record == editor_views._read(client, stream, containers, space, external_id)
        assert record["properties"]["plant"]["Equipment"]["name"]


def test_the_raw_json_of_the_sources_is_checked_like_the_form(app, editor):
    before = equipment(app)
    page = editor.get(app.url + EDIT + "?mode=json", timeout=30)
    raw = dict(form_fields(page.text)[1])["sources_json"]
    assert json.loads(raw)[0]["properties"] == before

    wrong = post_form(
        editor, app.url, page, step="preview", sources_json=raw.replace(f'"{before["kind"]}"', '"ROCKET"')
    )
    assert wrong.status_code == 400
    assert "must be one of the enum values" in field_error(wrong.text, "sources-json")
    assert '"ROCKET"' in dict(form_fields(wrong.text)[1])["sources_json"]

    changed = json.loads(raw)
    changed[0]["properties"]["site"] = "Bodø"
    preview = post_form(editor, app.url, page, step="preview", sources_json=json.dumps(changed))
    assert preview.status_code == 200
    assert post_form(editor, app.url, preview, step="save").status_code == 200
    assert equipment(app) == {**before, "site": "Bodø"}


def test_editors_select_rows_of_a_mutable_stream_to_delete(app, editor):
    rows = editor.get(app.url + "/streams/equipment/?mode=sync&source=plant.Equipment&start=30d", timeout=30)
    assert rows.status_code == 200
    assert re.search(
        r'<input type="checkbox" form="delete-selected" name="record" value="plant:eq-\d+">', rows.text
    )
    assert '<form id="delete-selected" method="post" action="/streams/equipment/delete-records/"' in rows.text
    viewer = signed_in(SIGNED_IN_AS_VIEWER).get(rows.url, timeout=30)
    assert (
        'form="delete-selected"' not in viewer.text and "Writing records needs the editor role" in viewer.text
    )
    immutable = editor.get(
        app.url + "/streams/sensor-readings/?mode=sync&source=plant.Reading&start=1d", timeout=30
    )
    assert immutable.status_code == 200 and 'form="delete-selected"' not in immutable.text


def test_a_record_with_values_in_more_than_ten_containers_keeps_them_all(app, editor):
    extra = [
        {
            "space": "plant",
            "externalId": f"Extra{n}",
            "usedFor": "record",
            "properties": {"note": {"type": {"type": "text"}}},
        }
        for n in range(10)
    ]
    emulator = "/emulator/api/v1/projects/demo"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    created = requests.post(
        app.url + emulator + "/models/containers", json={"items": extra}, headers=auth, timeout=30
    )
    assert created.status_code == 200, created.text
    before = equipment(app)
    sources = [
        {"source": {"type": "container", "space": "plant", "externalId": "Equipment"}, "properties": before}
    ]
    sources += [
        {
            "source": {"type": "container", "space": "plant", "externalId": c["externalId"]},
            "properties": {"note": c["externalId"]},
        }
        for c in extra
    ]
    item = {"space": "plant", "externalId": "eq-001", "sources": sources}
    upsert = requests.post(
        app.url + emulator + "/streams/equipment/records/upsert",
        json={"items": [item]},
        headers=auth,
        timeout=30,
    )
    assert upsert.status_code == 202, upsert.text

    form = editor.get(app.url + EDIT, timeout=30)
    refs = [value for name, value in form_fields(form.text)[1] if name == "ref"]
    assert len(refs) == 11
    preview = post_form(editor, app.url, form, step="preview", **{"value:plant.Equipment.site": "Hamar"})
    assert post_form(editor, app.url, preview, step="save").status_code == 200
    body = {
        "filter": {"equals": {"property": ["externalId"], "value": "eq-001"}},
        "sources": [
            {
                "source": {"type": "container", "space": "plant", "externalId": f"Extra{n}"},
                "properties": ["*"],
            }
            for n in range(10)
        ],
    }
    after = requests.post(app.url + RECORDS.format("equipment"), json=body, headers=auth, timeout=30).json()[
        "items"
    ][0]
    assert {c: v["note"] for c, v in after["properties"]["plant"].items()} == {
        f"Extra{n}": f"Extra{n}" for n in range(10)
    }
    assert equipment(app) == {**before, "site": "Hamar"}


@pytest.mark.usefixtures("fault_injection")
def test_a_partial_failure_of_a_save_is_reported_and_the_retry_writes_it(app, editor, settings):
    settings.CDF_MAX_RETRIES = 1
    preview = preview_edit(app, editor, **{"value:plant.Equipment.site": "Narvik"})
    fault = {
        "project": "demo",
        "endpoint": "records/upsert",
        "status": 503,
        "count": 2,
        "failRecords": ["plant:eq-001"],
    }
    assert requests.post(app.url + "/emulator/_faults", json=fault, timeout=30).status_code == 201
    failed = post_form(editor, app.url, preview, step="save")
    assert failed.status_code == 502 and "could not write this record just now" in failed.text
    assert re.search(
        r"plant:eq-001</th>\s*<td><span class=\"badge badge-deleted\">failed</span> 503", failed.text
    )
    assert equipment(app)["site"] != "Narvik"
    retried = post_form(editor, app.url, failed, step="save")
    assert retried.status_code == 200 and "was saved" in retried.text
    assert equipment(app)["site"] == "Narvik"
    assert [e.outcome for e in AuditEntry.objects.order_by("at")] == ["failed", "succeeded"]


def test_a_container_is_added_to_a_record_with_its_required_properties(app, editor):
    form = editor.get(app.url + EDIT, timeout=30)
    added = post_form(editor, app.url, form, action="add-source", add_source="plant.Alarm")
    assert added.status_code == 200
    fields = dict(form_fields(added.text)[1])
    assert (
        fields["state:plant.Alarm.severity"] == "value"
        and fields["state:plant.Alarm.acknowledged"] == "value"
    )
    missing = post_form(editor, app.url, added, step="preview")
    assert missing.status_code == 400
    assert "“raisedAt” is empty" in field_error(missing.text, "value-plant.Alarm.raisedAt")
    values = {"value:plant.Alarm.raisedAt": "2026-08-01T12:00:00+02:00", "value:plant.Alarm.severity": "HIGH"}
    preview = post_form(editor, app.url, added, step="preview", **values)
    assert preview.status_code == 200 and "2026-08-01T10:00:00.000Z" in preview.text
