"""The record editor's logic without HTTP: form <-> values, checks against definitions, diff, merge."""

import json

import pytest
from django.core import signing
from django.http import QueryDict

from emulator.demo import CONTAINERS
from records.edit import record_form

CONTAINERS_LIST = CONTAINERS["items"]
EQUIPMENT = {
    "name": "Pump 001",
    "kind": "PUMP",
    "tags": ["critical", "offshore"],
    "serialNumber": 123456789012,
    "efficiency": 0.9,
    "installedOn": "2020-01-02",
    "commissionedAt": "2020-02-01T10:00:00.000Z",
    "active": True,
    "parent": {"space": "plant", "externalId": "eq-002"},
    "specs": {"manufacturer": "ABB"},
}


def posted(form: record_form.RecordForm, **changes) -> QueryDict:
    """What the browser sends back for a form, with some fields changed (None removes one)."""
    query = QueryDict(mutable=True)
    for name, value in record_form.form_fields(form):
        query.appendlist(name, value)
    for name, value in changes.items():
        if value is None:
            query.pop(name, None)
        else:
            query.setlist(name, value if isinstance(value, list) else [value])
    return query


def opened(values=None) -> record_form.RecordForm:
    sources = {"plant.Equipment": dict(values or EQUIPMENT)}
    return record_form.form_from_sources("plant", "eq-001", sources, CONTAINERS_LIST)


def submitted(form, **changes):
    refs = [s.ref for s in form.sections]
    return record_form.form_from_post(posted(form, **changes), CONTAINERS_LIST, refs)


def test_an_unchanged_form_means_exactly_the_record_it_was_opened_with():
    form = submitted(opened())
    assert record_form.form_sources(form) == {"plant.Equipment": EQUIPMENT}


def test_the_form_has_every_property_of_the_container_and_the_state_of_each():
    form = opened()
    fields = {f.id: f for f in form.sections[0].fields}
    assert set(fields) == set(CONTAINERS_LIST[0]["properties"])
    assert (fields["name"].state, fields["site"].state, fields["tags"].texts) == (
        "value",
        "absent",
        ["critical", "offshore"],
    )
    assert [s for s, _ in fields["name"].states] == ["value", "absent"]  # not nullable: no null
    assert [s for s, _ in fields["site"].states] == ["value", "null", "absent"]


def test_null_absent_and_empty_are_three_different_things():
    form = submitted(
        opened(),
        **{
            "state:plant.Equipment.site": "value",
            "value:plant.Equipment.site": "",
            "state:plant.Equipment.efficiency": "null",
            "state:plant.Equipment.specs": "absent",
        },
    )
    values = record_form.form_sources(form)["plant.Equipment"]
    assert values["site"] == "" and values["efficiency"] is None and "specs" not in values


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("serialNumber", "12.5", "must be a whole number"),
        ("efficiency", "1e400", "too large"),
        ("commissionedAt", "2020-02-01T10:00:00", "must give its time zone"),
        ("commissionedAt", "yesterday", "must be a date and time"),
        ("installedOn", "2020-02-30", "YYYY-MM-DD"),
        ("kind", "ROCKET", "must be one of the enum values"),
        ("specs", "{oops", "is not valid JSON"),
        ("active", "maybe", "true or false"),
    ],
)
def test_a_wrong_value_gets_a_message_at_its_field_and_keeps_what_was_typed(field, text, message):
    key = f"plant.Equipment.{field}"
    form = submitted(opened(), **{f"value:{key}": text})
    assert record_form.form_sources(form) is None
    assert message in form.field(key).error
    assert form.field(key).texts == [text]
    assert all(not f.error for f in form.sections[0].fields if f.key != key)


def test_a_required_property_cannot_be_left_out_and_a_list_not_overfilled():
    form = submitted(opened(), **{"state:plant.Equipment.name": "absent"})
    assert record_form.form_sources(form) is None
    assert "“Name” is required" in form.field("plant.Equipment.name").error

    reading = record_form.form_from_sources(
        "plant",
        "r",
        {
            "plant.Reading": {
                "equipment": {"space": "plant", "externalId": "eq-001"},
                "observedAt": "2026-01-01T00:00:00.000Z",
            }
        },
        CONTAINERS_LIST,
    )
    form = submitted(
        reading, **{"state:plant.Reading.samples": "value", "value:plant.Reading.samples": ["1"] * 101}
    )
    assert record_form.form_sources(form) is None
    assert "at most 100" in form.field("plant.Reading.samples").error


def test_list_items_are_added_and_removed_and_the_size_limit_is_respected():
    form = submitted(opened(), action="add:plant.Equipment.tags")
    assert form.field("plant.Equipment.tags").texts == ["critical", "offshore", ""]
    form = submitted(opened(), action="remove:plant.Equipment.tags:0")
    assert form.field("plant.Equipment.tags").texts == ["offshore"]
    full = submitted(
        opened(), **{"value:plant.Equipment.tags": ["t"] * 20}, action="add:plant.Equipment.tags"
    )
    assert len(full.field("plant.Equipment.tags").texts) == 20 and full.field("plant.Equipment.tags").full


def test_a_container_is_removed_only_when_asked_and_an_emptied_one_is_an_error():
    two = record_form.form_from_sources(
        "plant",
        "alarm-1",
        {
            "plant.Alarm": {"severity": "LOW", "raisedAt": "2026-01-01T00:00:00.000Z"},
            "plant.Reading": {
                "equipment": {"space": "plant", "externalId": "eq-001"},
                "observedAt": "2026-01-01T00:00:00.000Z",
                "rpm": 5,
            },
        },
        CONTAINERS_LIST,
    )
    assert set(record_form.form_sources(submitted(two))) == {"plant.Alarm", "plant.Reading"}
    assert set(record_form.form_sources(submitted(two, **{"drop:plant.Reading": "on"}))) == {"plant.Alarm"}
    emptied = submitted(
        two,
        **{f"state:plant.Reading.{p}": "absent" for p in ("rpm",)},
        **{"state:plant.Reading.equipment": "null"},
    )
    assert record_form.form_sources(emptied) is None  # equipment is required


def test_direct_relations_are_space_and_external_id():
    form = submitted(
        opened(), **{"space:plant.Equipment.parent": "plant", "xid:plant.Equipment.parent": "eq:9"}
    )
    parent = record_form.form_sources(form)["plant.Equipment"]["parent"]
    assert parent == {"space": "plant", "externalId": "eq:9"}
    form = submitted(opened(), **{"space:plant.Equipment.parent": "", "xid:plant.Equipment.parent": "eq-9"})
    assert record_form.form_sources(form) is None
    assert "as space:externalId" in form.field("plant.Equipment.parent").error


def test_ids_of_a_new_record_are_checked():
    form = record_form.new_form(CONTAINERS_LIST[:1])
    form.space, form.external_id = "9bad space", ""
    record_form.check_ids(form)
    assert (
        "not a space id" in form.errors["space"]
        and "enter the record's external id" in form.errors["externalId"]
    )


def test_the_diff_names_each_changed_property_old_and_new():
    after = {"plant.Equipment": {**EQUIPMENT, "name": "Pump 1", "site": "Bergen"}}
    del after["plant.Equipment"]["specs"]
    groups = record_form.diff({"plant.Equipment": EQUIPMENT}, after, CONTAINERS_LIST)
    rows = {row["property"]: row for row in groups[0]["rows"]}
    assert set(rows) == {"name", "site", "specs"}
    assert (rows["name"]["before"], rows["name"]["after"]) == ("Pump 001", "Pump 1")
    assert (rows["site"]["before"], rows["site"]["kind"]) == ("(absent)", "added")
    assert (rows["specs"]["after"], rows["specs"]["kind"]) == ("(absent)", "removed")
    assert record_form.changes({"plant.Equipment": EQUIPMENT}, after)["plant.Equipment"]["site"] == {
        "after": "Bergen"
    }


def test_a_merge_keeps_a_colleagues_change_and_asks_only_where_both_changed():
    base = {"plant.Equipment": {"name": "A", "site": "Bergen", "kind": "PUMP"}}
    mine = {"plant.Equipment": {"name": "B", "site": "Oslo", "kind": "PUMP"}}
    theirs = {"plant.Equipment": {"name": "A", "site": "Molde", "kind": "FAN"}}
    rows = record_form.conflicts(base, mine, theirs, CONTAINERS_LIST)
    assert {(r["property"], r["both"]) for r in rows} == {("site", True), ("kind", False)}
    kept = record_form.merge(base, mine, theirs, {"plant.Equipment.site": "theirs"})
    assert kept == {"plant.Equipment": {"name": "B", "site": "Molde", "kind": "FAN"}}
    assert (
        record_form.merge(base, mine, theirs, {"plant.Equipment.site": "mine"})["plant.Equipment"]["site"]
        == "Oslo"
    )


def test_raw_json_sources_are_checked_like_the_form():
    good = json.dumps(
        [
            {
                "source": {"type": "container", "space": "plant", "externalId": "Equipment"},
                "properties": {"name": "X", "kind": "FAN", "commissionedAt": "2026-01-01T01:00:00+01:00"},
            }
        ]
    )
    sources, problem = record_form.check_sources_json(good, CONTAINERS_LIST)
    assert problem == "" and sources["plant.Equipment"]["commissionedAt"] == "2026-01-01T00:00:00.000Z"
    for text, message in [
        ("[{", "not valid JSON"),
        ('{"a": 1}', "must be a JSON list"),
        (good.replace('"FAN"', '"JET"'), "must be one of the enum values"),
        (good.replace('"name": "X", ', ""), "name is required"),
        (good.replace('"Equipment"', '"Nope"'), "not a record container"),
        (good.replace('"name"', '"nickname"'), "has no property nickname"),
    ]:
        assert message in record_form.check_sources_json(text, CONTAINERS_LIST)[1], text


def test_the_base_the_form_was_opened_with_cannot_be_tampered_with():
    signed = record_form.sign_base(1234, {"plant.Equipment": {"name": "A"}})
    assert record_form.read_base(signed) == (1234, {"plant.Equipment": {"name": "A"}})
    with pytest.raises(signing.BadSignature):
        record_form.read_base(signed[:-3] + "abc")


def test_cdf_messages_about_a_value_land_at_the_field():
    form = opened()
    sources = {"plant.Equipment": EQUIPMENT}
    assert record_form.place_cdf_message(form, sources, "sources[0].properties.site: too long")
    assert "too long" in form.field("plant.Equipment.site").error
    assert not record_form.place_cdf_message(form, sources, "something else")


def test_values_no_definition_lists_are_found_so_the_form_cannot_drop_them():
    sources = {"plant.Equipment": {"name": "A", "retired": True}, "plant.Gone": {"x": 1}}
    assert record_form.undefined_properties(sources, CONTAINERS_LIST) == [
        "plant.Equipment.retired",
        "plant.Gone.x",
    ]
    assert record_form.undefined_properties({"plant.Equipment": EQUIPMENT}, CONTAINERS_LIST) == []
