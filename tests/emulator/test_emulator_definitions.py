"""Space and container definitions: emulator/definitions.py (records-api.md §1.5, §4.5, §9)."""

import copy

import pytest
from cognite.client.data_classes.data_modeling import ContainerApply, ContainerProperty
from cognite.client.data_classes.data_modeling.containers import Container
from cognite.client.data_classes.data_modeling.data_types import (
    Boolean,
    Date,
    DirectRelation,
    Enum,
    EnumValue,
    Float32,
    Float64,
    Int32,
    Int64,
    Json,
    Text,
    TimeSeriesReference,
    Timestamp,
)

from emulator.definitions import container_read_shape, validate_container_items, validate_space_items
from emulator.errors import ApiError

SPACES = {"scada", "assets"}


def rejected(function, *args) -> ApiError:
    with pytest.raises(ApiError) as caught:
        function(*args)
    assert caught.value.code == 400
    return caught.value


# --- spaces -------------------------------------------------------------------------------


def test_spaces_are_normalised():
    body = {"items": [{"space": "scada", "name": "SCADA", "description": "Alarms"}, {"space": "a-b_c9"}]}
    assert validate_space_items(body) == [
        {"space": "scada", "name": "SCADA", "description": "Alarms"},
        {"space": "a-b_c9", "name": None, "description": None},
    ]


def test_space_id_of_43_characters_is_accepted():
    assert validate_space_items({"items": [{"space": "s" * 43}]})[0]["space"] == "s" * 43


@pytest.mark.parametrize(
    ("items", "fragment"),
    [
        ([{"space": "ok"}, {"space": "ok2"}, {"space": "9lives"}], "items[2].space must be 1-43"),
        ([{"space": "s" * 44}], "items[0].space must be 1-43"),
        ([{"space": "has space"}], "items[0].space must be"),
        ([{"space": 7}], "items[0].space must be"),
        ([{"space": "ok"}, {"space": "system"}], "items[1].space 'system' is reserved"),
        ([{"space": "ok", "name": "n" * 256}], "items[0].name must be a string of at most 255"),
        ([{"space": "ok", "description": "d" * 1025}], "items[0].description must be a string of at most"),
        ([{"space": "ok", "name": 5}], "items[0].name must be a string"),
        ([{"space": "ok", "isGlobal": False}], "items[0] has unknown fields: isGlobal"),
        ([{"name": "no id"}], "items[0] is missing space"),
        (["scada"], "items[0] must be an object"),
        ([], "items must be a list of 1 to 100 objects"),
        ([{"space": f"s{n}"} for n in range(101)], "items must be a list of 1 to 100 objects"),
    ],
)
def test_invalid_spaces_are_rejected_naming_the_field(items, fragment):
    assert fragment in rejected(validate_space_items, {"items": items}).message


def test_space_body_must_be_an_object_with_items():
    assert "items must be a list" in rejected(validate_space_items, [{"space": "scada"}]).message


def test_a_space_given_twice_is_rejected():
    error = rejected(validate_space_items, {"items": [{"space": "a"}, {"space": "b"}, {"space": "a"}]})
    assert error.extra == {"duplicated": [{"space": "a"}]}


# --- record containers --------------------------------------------------------------------


def alarm_container(**properties) -> dict:
    """The ScadaAlarm container of records-api.md §9.2, with `properties` added or replaced."""
    return {
        "space": "scada",
        "externalId": "ScadaAlarm",
        "name": "SCADA alarm",
        "description": "An alarm raised by the SCADA system",
        "usedFor": "record",
        "properties": {
            "severity": {
                "type": {"type": "enum", "values": {"LOW": {}, "HIGH": {"name": "High"}}},
                "nullable": False,
            },
            "value": {"type": {"type": "float64", "unit": {"externalId": "temperature:deg_c"}}},
            "tags": {"type": {"type": "text", "list": True, "maxListSize": 50}},
            "raisedAt": {"type": {"type": "timestamp"}, "nullable": False},
            "asset": {"type": {"type": "direct"}},
            "payload": {"type": {"type": "json"}},
            "acked": {"type": {"type": "boolean"}, "defaultValue": False},
            **properties,
        },
    }


def one_container(item: dict) -> dict:
    (container,) = validate_container_items({"items": [item]}, SPACES)
    return container


def every_type_container() -> dict:
    return alarm_container(
        note={"type": {"type": "text", "maxTextSize": 500}, "name": "Note", "description": "Free text"},
        count32={"type": {"type": "int32"}, "defaultValue": 3, "nullable": False},
        count64={"type": {"type": "int64", "list": True, "maxListSize": 2000}},
        ratio={"type": {"type": "float32", "unit": {"externalId": "dimensionless:ratio", "sourceUnit": "%"}}},
        readings={"type": {"type": "float64", "list": True}},
        flags={"type": {"type": "boolean", "list": True, "maxListSize": 1}},
        day={"type": {"type": "date"}, "defaultValue": "2026-08-01"},
        days={"type": {"type": "date", "list": True}},
        times={"type": {"type": "timestamp", "list": True}},
        blobs={"type": {"type": "json", "list": True, "maxListSize": 10}},
        assets={"type": {"type": "direct", "list": True, "maxListSize": 100}},
        states={"type": {"type": "enum", "list": True, "values": {"ON": {}, "OFF": {}, "UNKNOWN": {}},
                         "unknownValue": "UNKNOWN"}},
        since={"type": {"type": "timestamp"}, "defaultValue": "2026-08-01T14:00:00+02:00"},
        home={"type": {"type": "direct", "container": {"type": "container", "space": "assets",
                                                         "externalId": "Asset"}},
              "defaultValue": {"space": "assets", "externalId": "plant"}},
        extra={"type": {"type": "json"}, "defaultValue": {"unit": "bar"}},
    )  # fmt: skip


def test_record_container_read_shape():
    container = one_container(alarm_container())
    assert {key: value for key, value in container.items() if key != "properties"} == {
        "space": "scada",
        "externalId": "ScadaAlarm",
        "name": "SCADA alarm",
        "description": "An alarm raised by the SCADA system",
        "usedFor": "record",
        "constraints": {},
        "indexes": {},
        "isGlobal": False,
    }
    common = {"immutable": False, "autoIncrement": False, "constraintState": {}}
    assert container["properties"]["severity"] == {
        "type": {"type": "enum", "list": False, "values": {"LOW": {}, "HIGH": {"name": "High"}}},
        "nullable": False,
        **common,
    }
    assert container["properties"]["value"] == {
        "type": {"type": "float64", "list": False, "unit": {"externalId": "temperature:deg_c"}},
        "nullable": True,
        **common,
    }
    assert container["properties"]["tags"]["type"] == {"type": "text", "list": True, "maxListSize": 50}
    assert container["properties"]["acked"] == {
        "type": {"type": "boolean", "list": False},
        "nullable": True,
        "defaultValue": False,
        **common,
    }
    assert "defaultValue" not in container["properties"]["payload"]


def test_default_values_are_stored_normalised():
    properties = one_container(every_type_container())["properties"]
    assert properties["since"]["defaultValue"] == "2026-08-01T12:00:00.000Z"
    assert properties["day"]["defaultValue"] == "2026-08-01"
    assert properties["home"]["defaultValue"] == {"space": "assets", "externalId": "plant"}
    assert properties["extra"]["defaultValue"] == {"unit": "bar"}
    assert properties["count32"]["defaultValue"] == 3


def test_container_with_every_property_type_is_parsed_by_the_python_sdk():
    shape = container_read_shape(one_container(every_type_container()), 1754049600000, 1754049601000)
    assert shape["createdTime"] == 1754049600000 and shape["lastUpdatedTime"] == 1754049601000
    container = Container._load(shape)
    assert container.used_for == "record" and container.is_global is False
    assert container.created_time == 1754049600000
    types = {name: prop.type for name, prop in container.properties.items()}
    expected_classes = {
        "severity": Enum, "value": Float64, "tags": Text, "raisedAt": Timestamp, "asset": DirectRelation,
        "payload": Json, "acked": Boolean, "note": Text, "count32": Int32, "count64": Int64, "ratio": Float32,
        "readings": Float64, "flags": Boolean, "day": Date, "days": Date, "times": Timestamp, "blobs": Json,
        "assets": DirectRelation, "states": Enum, "since": Timestamp, "home": DirectRelation, "extra": Json,
    }  # fmt: skip
    assert {name: type(t) for name, t in types.items()} == expected_classes
    lists = {name for name, t in types.items() if getattr(t, "is_list", False)}
    assert lists == {"tags", "count64", "readings", "flags", "days", "times", "blobs", "assets"}
    assert types["tags"].max_list_size == 50 and types["count64"].max_list_size == 2000
    assert types["note"].max_text_size == 500
    assert types["value"].unit.external_id == "temperature:deg_c"
    assert types["ratio"].unit.source_unit == "%"
    assert set(types["severity"].values) == {"LOW", "HIGH"}
    assert types["severity"].values["HIGH"].name == "High"
    assert types["states"].unknown_value == "UNKNOWN"
    assert types["home"].container.space == "assets"
    assert container.properties["severity"].nullable is False
    assert container.properties["count32"].default_value == 3
    assert container.properties["note"].name == "Note"
    assert container.properties["note"].description == "Free text"


def test_container_as_the_python_sdk_sends_it_is_accepted():
    apply = ContainerApply(
        space="scada",
        external_id="Reading",
        used_for="record",
        properties={
            "severity": ContainerProperty(Enum({"LOW": EnumValue(), "HIGH": EnumValue("High")})),
            "value": ContainerProperty(Float64(), default_value=1.5),
            "tags": ContainerProperty(Text(is_list=True, max_list_size=10)),
            "asset": ContainerProperty(DirectRelation()),
        },
    )
    # The dump carries constraints {}, indexes {}, collation, immutable false and constraintState.
    sent = apply.dump()
    container = one_container(sent)
    assert container["properties"]["tags"]["type"] == {
        "type": "text",
        "list": True,
        "maxListSize": 10,
        "collation": "ucs_basic",
    }
    assert container["properties"]["value"]["defaultValue"] == 1.5
    loaded = Container._load(container_read_shape(container, 1, 2))
    assert loaded.as_apply().dump() == ContainerApply.load(sent).dump()


@pytest.mark.parametrize("size", [1, 2000])
def test_max_list_size_limits_are_inclusive(size):
    tags = {"type": {"type": "text", "list": True, "maxListSize": size}}
    container = one_container(alarm_container(tags=tags))
    assert container["properties"]["tags"]["type"]["maxListSize"] == size


def test_enum_of_32_values_is_accepted():
    values = {f"V{n}": {} for n in range(32)}
    container = one_container(alarm_container(severity={"type": {"type": "enum", "values": values}}))
    assert list(container["properties"]["severity"]["type"]["values"]) == list(values)


def enum_type(**values) -> dict:
    return {"type": {"type": "enum", "values": values or {"A": {}}}}


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"externalId": "Scada-Alarm"}, "items[0].externalId must be 1-255 letters, digits and '_' (no '-')"),
        ({"externalId": "9Alarm"}, "items[0].externalId must be"),
        ({"externalId": "Alarm_"}, "items[0].externalId must be"),
        ({"externalId": "TimeSeries"}, "items[0].externalId 'TimeSeries' is a reserved"),
        ({"space": "-bad"}, "items[0].space must be 1-43"),
        ({"usedFor": "records"}, "items[0].usedFor must be one of record, node, edge, all"),
        ({"name": "n" * 256}, "items[0].name must be a string of at most 255"),
        ({"description": "d" * 1025}, "items[0].description must be a string of at most 1024"),
        ({"properties": {}}, "items[0].properties must be an object with 1 to 1000 properties"),
        ({"constraints": {"unique": {"constraintType": "uniqueness", "properties": ["value"]}}},
         "items[0].constraints: record containers support no constraints"),
        ({"indexes": {"byValue": {"properties": ["value"]}}}, "items[0].indexes: record containers support"),
        ({"constraints": []}, "items[0].constraints must be an object of constraints by identifier"),
        ({"indexes": {"byValue": 1}}, "items[0].indexes must be an object of indexes by identifier"),
        ({"createdTime": 1}, "items[0] has unknown fields: createdTime"),
    ],
)  # fmt: skip
def test_invalid_containers_are_rejected_naming_the_field(change, fragment):
    item = {**alarm_container(), **change}
    assert fragment in rejected(validate_container_items, {"items": [item]}, SPACES).message


@pytest.mark.parametrize(
    ("prop", "spec", "fragment"),
    [
        ("space", {"type": {"type": "text"}}, "properties.space: 'space' is a reserved property id"),
        ("node_id", {"type": {"type": "text"}}, "properties.node_id: 'node_id' is a reserved"),
        ("-x", {"type": {"type": "text"}}, "properties.-x: a property id must be"),
        ("p" * 256, {"type": {"type": "text"}}, "a property id must be"),
        ("p", {"type": {"type": "timeseries"}}, "properties.p.type.type 'timeseries' is not allowed"),
        ("p", {"type": {"type": "file"}}, "'file' is not allowed in record containers"),
        ("p", {"type": {"type": "sequence"}}, "'sequence' is not allowed in record containers"),
        ("p", {"type": {"type": "string"}}, "properties.p.type.type must be one of boolean, date, direct"),
        ("p", {"type": "text"}, "properties.p.type.type must be one of"),
        ("p", {"type": {"type": ["text"]}}, "properties.p.type.type must be one of"),
        ("p", {"type": {"type": "enum", "values": {"A": {}}, "unknownValue": ["A"]}},
         "properties.p.type.unknownValue must be one of the enum values"),
        ("p", {"nullable": True}, "items[0].properties.p is missing type"),
        ("p", "text", "items[0].properties.p must be an object"),
        ("p", {"type": {"type": "text"}, "nullable": "no"}, "properties.p.nullable must be true or false"),
        ("p", {"type": {"type": "int32"}, "immutable": True}, "properties.p.immutable must be false"),
        ("p", {"type": {"type": "int32"}, "autoIncrement": True}, "properties.p.autoIncrement must be false"),
        ("p", {"type": {"type": "text"}, "unique": True}, "items[0].properties.p has unknown fields: unique"),
        ("p", {"type": {"type": "text"}, "name": "n" * 256}, "properties.p.name must be a string of at most"),
        ("p", {"type": {"type": "text"}, "description": 1}, "properties.p.description must be a string"),
        ("p", {"type": {"type": "text", "list": "yes"}}, "properties.p.type.list must be true or false"),
        ("p", {"type": {"type": "text", "list": True}, "defaultValue": "a"},
         "properties.p.defaultValue: list properties cannot have a default value"),
        ("p", {"type": {"type": "int32"}, "defaultValue": "three"},
         "Value for items[0].properties.p.defaultValue must be an integer (int32)"),
        ("p", {"type": {"type": "int32"}, "defaultValue": 2**31}, "out of range for int32"),
        ("p", {"type": {"type": "timestamp"}, "defaultValue": 1754049600000}, "defaultValue must be an ISO"),
        ("p", {**enum_type(A={}), "defaultValue": "B"}, "p.defaultValue must be one of the enum values [A]"),
        ("p", {"type": {"type": "direct"}, "defaultValue": {"space": "s"}}, "defaultValue must be a ref"),
        ("p", {"type": {"type": "text", "list": True, "maxListSize": 0}},
         "properties.p.type.maxListSize must be an integer from 1 to 2000, got 0"),
        ("p", {"type": {"type": "text", "list": True, "maxListSize": 2001}}, "from 1 to 2000, got 2001"),
        ("p", {"type": {"type": "text", "list": True, "maxListSize": True}}, "from 1 to 2000, got True"),
        ("p", {"type": {"type": "int32", "maxListSize": 5}},
         "properties.p.type.maxListSize is only allowed with list: true"),
        ("p", {"type": {"type": "text", "maxTextSize": 0}}, "p.type.maxTextSize must be an integer from 1"),
        ("p", {"type": {"type": "int32", "maxTextSize": 10}}, "p.type has unknown fields: maxTextSize"),
        ("p", {"type": {"type": "text", "collation": 3}}, "properties.p.type.collation must be a string"),
        ("p", {"type": {"type": "int64", "unit": {"externalId": "length:m"}}},
         "properties.p.type.unit is only allowed on float32 and float64"),
        ("p", {"type": {"type": "float64", "unit": {}}}, "properties.p.type.unit is missing externalId"),
        ("p", {"type": {"type": "float64", "unit": {"externalId": ""}}}, "unit.externalId must be a non-"),
        ("p", {"type": {"type": "direct", "container": {"space": "s", "externalId": "C"}}},
         "properties.p.type.container is missing type"),
        ("p", {"type": {"type": "enum"}}, "properties.p.type.values must be an object with 1 to 32 enum"),
        ("p", {"type": {"type": "enum", "values": {}}}, "1 to 32 enum values"),
        ("p", {"type": {"type": "enum", "values": {f"V{n}": {} for n in range(33)}}}, "1 to 32 enum values"),
        ("p", enum_type(true={}), "properties.p.type.values.true: an enum value must be"),
        ("p", enum_type(null={}), "values.null: an enum value must be"),
        ("p", enum_type(**{"1st": {}}), "values.1st: an enum value must be"),
        ("p", enum_type(**{"a-b": {}}), "values.a-b: an enum value must be"),
        ("p", enum_type(**{"a" * 129: {}}), "an enum value must be 1-128"),
        ("p", enum_type(A={"label": "x"}), "properties.p.type.values.A has unknown fields: label"),
        ("p", enum_type(A={"name": "n" * 256}), "values.A.name must be a string of at most 255"),
        ("p", {"type": {"type": "enum", "values": {"A": {}}, "unknownValue": "B"}},
         "properties.p.type.unknownValue must be one of the enum values, got 'B'"),
    ],
)  # fmt: skip
def test_invalid_record_properties_are_rejected_naming_the_field(prop, spec, fragment):
    item = alarm_container(**{prop: spec})
    assert fragment in rejected(validate_container_items, {"items": [item]}, SPACES).message


def test_valid_enum_keys_are_accepted():
    keys = {"_private": {}, "a" * 128: {}, "True": {}, "x_1": {}}
    container = one_container(alarm_container(p={"type": {"type": "enum", "values": keys}}))
    assert set(container["properties"]["p"]["type"]["values"]) == set(keys)


def test_container_in_a_missing_space_is_rejected_with_missing():
    item = {**alarm_container(), "space": "elsewhere"}
    error = rejected(validate_container_items, {"items": [item]}, SPACES)
    assert error.message.startswith("items[0].space:")
    assert error.extra == {"missing": [{"space": "elsewhere"}]}


def test_the_failing_container_is_named_by_its_index():
    second = {**alarm_container(), "externalId": "Other", "usedFor": "edge", "properties": {"p": {}}}
    error = rejected(validate_container_items, {"items": [alarm_container(), second]}, SPACES)
    assert error.message.startswith("items[1].properties.p must be an object with a type")


def test_a_container_given_twice_is_rejected():
    error = rejected(validate_container_items, {"items": [alarm_container(), alarm_container()]}, SPACES)
    assert error.extra == {"duplicated": [{"space": "scada", "externalId": "ScadaAlarm"}]}


@pytest.mark.parametrize("body", [None, {"items": []}, {"items": [alarm_container()] * 101}, {"items": [1]}])
def test_container_request_shape(body):
    assert "items" in rejected(validate_container_items, body, SPACES).message


def test_more_than_1000_record_properties_are_rejected():
    item = alarm_container(**{f"p{n}": {"type": {"type": "text"}} for n in range(1000)})
    assert "1 to 1000 properties" in rejected(validate_container_items, {"items": [item]}, SPACES).message


def test_input_is_not_modified():
    item = every_type_container()
    before = copy.deepcopy(item)
    one_container(item)
    assert item == before


# --- containers for nodes and edges -------------------------------------------------------


def test_instance_container_is_stored_loosely_with_read_defaults():
    item = {
        "space": "assets",
        "externalId": "Asset",
        "properties": {
            "name": {"type": {"type": "text", "collation": "en"}, "nullable": False},
            "series": {"type": {"type": "timeseries"}, "immutable": True},
            "kind": {"type": {"type": "enum", "values": {"A": {}}}},
        },
        "constraints": {"unique": {"constraintType": "uniqueness", "properties": ["name"]}},
    }
    container = one_container(item)
    assert container["usedFor"] == "node"
    assert container["properties"]["name"] == {
        "type": {"type": "text", "list": False, "collation": "en"},
        "nullable": False,
        "immutable": False,
        "autoIncrement": False,
        "constraintState": {},
    }
    assert container["properties"]["series"]["immutable"] is True
    assert container["properties"]["kind"]["type"] == {"type": "enum", "values": {"A": {}}}
    assert container["constraints"] == {
        "unique": {"constraintType": "uniqueness", "properties": ["name"], "state": "current"}
    }
    assert container["indexes"] == {}
    loaded = Container._load(container_read_shape(container, 1, 2))
    assert isinstance(loaded.properties["series"].type, TimeSeriesReference)
    assert loaded.used_for == "node"
    assert loaded.constraints["unique"].properties == ["name"]


@pytest.mark.parametrize("prop_type", [{"type": "timeseriez"}, {"type": {"a": 1}}, "text"])
def test_instance_container_property_types_are_still_checked(prop_type):
    item = {"space": "assets", "externalId": "Asset", "properties": {"p": {"type": prop_type}}}
    assert "items[0].properties.p" in rejected(validate_container_items, {"items": [item]}, SPACES).message


def test_instance_container_property_ids_are_still_checked():
    item = {"space": "assets", "externalId": "Asset", "usedFor": "all", "properties": {"externalId": {}}}
    error = rejected(validate_container_items, {"items": [item]}, SPACES)
    assert "items[0].properties.externalId: 'externalId' is a reserved property id" in error.message


def test_instance_container_allows_at_most_100_properties():
    props = {f"p{n}": {"type": {"type": "text"}} for n in range(101)}
    item = {"space": "assets", "externalId": "Asset", "properties": props}
    assert "1 to 100 properties" in rejected(validate_container_items, {"items": [item]}, SPACES).message
