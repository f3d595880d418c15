"""Record write bodies: emulator/writes.py (records-api.md §4.2, §4.5, §5)."""

import copy

import pytest

from emulator.definitions import validate_container_items
from emulator.errors import ApiError
from emulator.schema import Schema
from emulator.writes import duplicate_ids, validate_delete_items, validate_write_items

SPACES = {"scada", "assets"}
ALARM = {"type": "container", "space": "scada", "externalId": "ScadaAlarm"}
NOTE = {"type": "container", "space": "scada", "externalId": "Note"}
TEXT = {"type": {"type": "text"}}


@pytest.fixture(scope="module")
def schema() -> Schema:
    """ScadaAlarm of records-api.md §9.2 plus a few more properties, a Note container and a node container."""
    containers = [
        {
            "space": "scada",
            "externalId": "ScadaAlarm",
            "usedFor": "record",
            "properties": {
                "severity": {"type": {"type": "enum", "values": {"LOW": {}, "HIGH": {}}}, "nullable": False},
                "value": {"type": {"type": "float64"}},
                "tags": {"type": {"type": "text", "list": True, "maxListSize": 3}},
                "raisedAt": {"type": {"type": "timestamp"}, "nullable": False},
                "asset": {"type": {"type": "direct"}},
                "related": {"type": {"type": "direct", "list": True}},
                "payload": {"type": {"type": "json"}},
                "acked": {"type": {"type": "boolean"}, "defaultValue": False},
                "priority": {"type": {"type": "int32"}, "nullable": False, "defaultValue": 3},
            },
        },
        {"space": "scada", "externalId": "Note", "usedFor": "record", "properties": {"text": TEXT}},
        {"space": "assets", "externalId": "Asset", "usedFor": "node", "properties": {"name": TEXT}},
    ]  # fmt: skip
    checked = validate_container_items({"items": containers}, SPACES)
    return Schema({(c["space"], c["externalId"]): c for c in checked})


def alarm(external_id: str = "A-1", **properties) -> dict:
    values = {"severity": "HIGH", "raisedAt": "2026-08-01T12:00:00Z", **properties}
    return {"space": "scada", "externalId": external_id, "sources": [{"source": ALARM, "properties": values}]}


def rejected(function, *args) -> ApiError:
    with pytest.raises(ApiError) as caught:
        function(*args)
    assert caught.value.code == 400
    return caught.value


def write_error(schema, *items) -> ApiError:
    return rejected(validate_write_items, {"items": list(items)}, schema, SPACES)


# --- valid writes -------------------------------------------------------------------------


def test_write_items_become_stored_records(schema):
    item = alarm(
        value=73.5,
        tags=["a", "b"],
        asset={"space": "assets", "externalId": "pump-17"},
        related=[{"space": "assets", "externalId": "p1"}, {"space": "scada", "externalId": "x"}],
        payload={"limits": [1, 2]},
        acked=True,
        raisedAt="2026-08-01T14:00:00+02:00",
    )
    item["sources"].append({"source": NOTE, "properties": {"text": "checked"}})
    (record,) = validate_write_items({"items": [item]}, schema, SPACES)
    assert record == {
        "space": "scada",
        "externalId": "A-1",
        "properties": {
            "scada": {
                "ScadaAlarm": {
                    "severity": "HIGH",
                    "raisedAt": "2026-08-01T12:00:00.000Z",
                    "value": 73.5,
                    "tags": ["a", "b"],
                    "asset": {"space": "assets", "externalId": "pump-17"},
                    "related": [
                        {"space": "assets", "externalId": "p1"},
                        {"space": "scada", "externalId": "x"},
                    ],
                    "payload": {"limits": [1, 2]},
                    "acked": True,
                    "priority": 3,
                },
                "Note": {"text": "checked"},
            }
        },
    }


def test_absent_properties_with_a_default_are_filled_in(schema):
    (record,) = validate_write_items({"items": [alarm()]}, schema, SPACES)
    assert record["properties"]["scada"]["ScadaAlarm"] == {
        "severity": "HIGH",
        "raisedAt": "2026-08-01T12:00:00.000Z",
        "acked": False,
        "priority": 3,
    }


def test_null_leaves_a_nullable_property_unset_and_skips_its_default(schema):
    (record,) = validate_write_items({"items": [alarm(value=None, acked=None)]}, schema, SPACES)
    assert "value" not in record["properties"]["scada"]["ScadaAlarm"]
    assert "acked" not in record["properties"]["scada"]["ScadaAlarm"]


def test_duplicate_ids_are_left_to_the_caller(schema):
    records = validate_write_items({"items": [alarm("A-1"), alarm("A-1", value=1.0)]}, schema, SPACES)
    assert [r["externalId"] for r in records] == ["A-1", "A-1"]


def test_record_external_id_may_hold_any_character_but_nul(schema):
    external_id = "ø/ .:" + "x" * 251
    (record,) = validate_write_items({"items": [alarm(external_id)]}, schema, SPACES)
    assert record["externalId"] == external_id


def test_a_body_of_1000_items_is_accepted(schema):
    items = [alarm(f"A-{n}") for n in range(1000)]
    assert len(validate_write_items({"items": items}, schema, SPACES)) == 1000


def test_input_is_not_modified(schema):
    item = alarm(tags=["a"], raisedAt="2026-08-01T14:00:00+02:00")
    before = copy.deepcopy(item)
    validate_write_items({"items": [item]}, schema, SPACES)
    assert item == before


# --- schema errors ------------------------------------------------------------------------


def test_unknown_container_is_rejected_with_missing(schema):
    item = alarm()
    item["sources"][0]["source"] = {"type": "container", "space": "scada", "externalId": "Nope"}
    error = write_error(schema, alarm("ok"), item)
    assert error.message == "items[1].sources[0].source: Container scada:Nope does not exist"
    assert error.extra == {"missing": [{"space": "scada", "externalId": "Nope"}]}


def test_container_not_used_for_records_is_rejected(schema):
    item = alarm()
    item["sources"][0]["source"] = {"type": "container", "space": "assets", "externalId": "Asset"}
    error = write_error(schema, item)
    assert error.message.startswith("items[0].sources[0].source: Container assets:Asset is not a record")


def test_unknown_property_is_rejected(schema):
    error = write_error(schema, alarm(bogus=1))
    assert error.message == (
        "items[0].sources[0].properties.bogus: Property 'bogus' does not exist in container scada:ScadaAlarm"
    )


@pytest.mark.parametrize(
    ("properties", "fragment"),
    [
        ({"value": "hot"}, "properties.value: Value for property 'value' in container scada:ScadaAlarm "
                           "must be a finite number (float64)"),
        ({"severity": "MEDIUM"}, "properties.severity: Value for property 'severity' in container "
                                 "scada:ScadaAlarm must be one of the enum values [HIGH, LOW]"),
        ({"raisedAt": 1754049600000}, "properties.raisedAt: Value for property 'raisedAt'"),
        ({"tags": ["a", "b", "c", "d"]}, "properties.tags: Value for property 'tags' in container "
                                         "scada:ScadaAlarm has 4 items; at most 3"),
        ({"tags": "a"}, "properties.tags: Value for property 'tags' in container scada:ScadaAlarm must be"),
        ({"asset": {"space": "assets"}}, "properties.asset: Value for property 'asset'"),
        ({"payload": [1, 2]}, "properties.payload: Value for property 'payload'"),
        ({"priority": 2**31}, "properties.priority: Value for property 'priority' in container "
                              "scada:ScadaAlarm is out of range for int32"),
        ({"severity": None}, "properties.severity: Value for property 'severity' in container "
                             "scada:ScadaAlarm must not be null"),
        ({"priority": None}, "properties.priority: Value for property 'priority'"),
    ],
)  # fmt: skip
def test_values_that_do_not_fit_their_type_are_rejected_naming_the_property(schema, properties, fragment):
    error = write_error(schema, alarm("ok"), alarm("bad", **properties))
    assert error.message.startswith("items[1].sources[0].")
    assert fragment in error.message


def test_missing_required_property_is_rejected(schema):
    item = alarm()
    del item["sources"][0]["properties"]["raisedAt"]
    error = write_error(schema, item)
    assert error.message == (
        "items[0].sources[0].properties: missing required property 'raisedAt' in container scada:ScadaAlarm"
    )


def test_direct_relation_into_a_missing_space_is_rejected(schema):
    error = write_error(schema, alarm(asset={"space": "nowhere", "externalId": "x"}))
    assert error.message.startswith("items[0].sources[0].properties.asset: ")
    assert "'nowhere' does not exist" in error.message
    assert error.extra == {"missing": [{"space": "nowhere"}]}


def test_direct_relation_list_into_a_missing_space_is_rejected(schema):
    related = [{"space": "assets", "externalId": "a"}, {"space": "gone", "externalId": "b"}]
    error = write_error(schema, alarm(related=related))
    assert error.message.startswith("items[0].sources[0].properties.related: ")
    assert error.extra == {"missing": [{"space": "gone"}]}


def test_record_space_must_exist(schema):
    item = {**alarm(), "space": "elsewhere"}
    error = write_error(schema, item)
    assert error.message.startswith("items[0].space: ")
    assert error.extra == {"missing": [{"space": "elsewhere"}]}


def test_the_same_container_twice_in_one_record_is_rejected(schema):
    item = alarm()
    item["sources"].append({"source": dict(ALARM), "properties": {"value": 1.0}})
    error = write_error(schema, item)
    assert error.message.startswith("items[0].sources[1]: container scada:ScadaAlarm appears more than once")


# --- body shape ---------------------------------------------------------------------------


def with_source(**change) -> dict:
    item = alarm()
    item["sources"][0] = {**item["sources"][0], **change}
    return item


@pytest.mark.parametrize(
    ("item", "fragment"),
    [
        ({**alarm(), "createdTime": 1}, "items[0] has unknown fields: createdTime"),
        ({"space": "scada", "externalId": "A-1"}, "items[0] is missing sources"),
        ({"space": "scada", "sources": []}, "items[0] is missing externalId"),
        ("A-1", "items[0] must be an object"),
        ({**alarm(), "space": "9scada"}, "items[0].space must be 1-43 characters"),
        ({**alarm(), "space": None}, "items[0].space must be"),
        ({**alarm(), "externalId": ""}, "items[0].externalId must be a string of 1 to 256 characters"),
        ({**alarm(), "externalId": "x" * 257}, "items[0].externalId must be a string of 1 to 256"),
        ({**alarm(), "externalId": "a\x00b"}, "items[0].externalId must be a string of 1 to 256"),
        ({**alarm(), "externalId": 17}, "items[0].externalId must be"),
        ({**alarm(), "sources": []}, "items[0].sources must be a list of 1 to 100 objects"),
        ({**alarm(), "sources": alarm()["sources"] * 101}, "items[0].sources must be a list of 1 to 100"),
        ({**alarm(), "sources": {"source": ALARM}}, "items[0].sources must be a list"),
        ({**alarm(), "sources": ["x"]}, "items[0].sources[0] must be an object"),
        (with_source(properties={}), "items[0].sources[0].properties must be an object with at least one"),
        (with_source(properties=["severity"]), "items[0].sources[0].properties must be an object"),
        (with_source(extra=1), "items[0].sources[0] has unknown fields: extra"),
        (with_source(source={**ALARM, "type": "view"}), 'sources[0].source must be {"type": "container"'),
        (with_source(source={**ALARM, "type": "container,"}), "items[0].sources[0].source must be"),
        (with_source(source={**ALARM, "space": 1}), "items[0].sources[0].source must be"),
        (with_source(source={"space": "scada", "externalId": "Alarm"}), "sources[0].source is missing type"),
        (with_source(source={**ALARM, "version": "v1"}), "sources[0].source has unknown fields: version"),
    ],
)  # fmt: skip
def test_malformed_items_are_rejected_naming_the_field(schema, item, fragment):
    assert fragment in write_error(schema, item).message


@pytest.mark.parametrize(
    "body", [None, [], {}, {"items": []}, {"items": {"space": "scada"}}, {"items": [alarm()] * 1001}]
)
def test_write_body_must_hold_1_to_1000_items(schema, body):
    error = rejected(validate_write_items, body, schema, SPACES)
    assert error.message == "items must be a list of 1 to 1000 objects"


def test_path_names_the_list_in_messages(schema):
    error = rejected(validate_write_items, {"records": [alarm(bogus=1)]}, schema, SPACES, "records")
    assert error.message.startswith("records[0].sources[0].properties.bogus: ")


# --- delete -------------------------------------------------------------------------------


def test_delete_items_are_returned_as_ids():
    body = {"items": [{"space": "scada", "externalId": "A-1"}, {"space": "other", "externalId": "A-1"}]}
    assert validate_delete_items(body) == body["items"]


@pytest.mark.parametrize(
    ("items", "fragment"),
    [
        ([], "items must be a list of 1 to 1000 objects"),
        ([{"space": "scada", "externalId": "A"}] * 1001, "items must be a list of 1 to 1000 objects"),
        ([{"space": "scada", "externalId": "A"}, {"space": "scada"}], "items[1] is missing externalId"),
        ([{"space": "scada", "externalId": "A", "sources": []}], "items[0] has unknown fields: sources"),
        ([{"space": "sc ada", "externalId": "A"}], "items[0].space must be 1-43"),
        ([{"space": "scada", "externalId": "x" * 257}], "items[0].externalId must be a string of 1 to 256"),
        (["A-1"], "items[0] must be an object"),
    ],
)
def test_malformed_delete_items_are_rejected(items, fragment):
    assert fragment in rejected(validate_delete_items, {"items": items}).message


def test_delete_does_not_require_the_space_to_exist():
    assert validate_delete_items({"items": [{"space": "gone", "externalId": "A"}]}) == [
        {"space": "gone", "externalId": "A"}
    ]


# --- duplicates ---------------------------------------------------------------------------


def test_duplicate_ids_in_first_seen_order_and_the_odd_422_format():
    ids = [("s", "b"), ("s", "a"), ("t", "a"), ("s", "a"), ("s", "b"), ("s", "a"), ("s", "c")]
    items = [{"space": space, "externalId": external_id} for space, external_id in ids]
    assert duplicate_ids(items) == [{"externalId": "s.b"}, {"externalId": "s.a"}]


def test_no_duplicates():
    assert duplicate_ids([{"space": "s", "externalId": "a"}, {"space": "t", "externalId": "a"}]) == []
