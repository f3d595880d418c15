"""The records filter language: checking filter trees and matching stored records."""

import pytest

from emulator.errors import ApiError
from emulator.filters import compile_filter, referenced_properties
from emulator.schema import Schema


def prop(kind: str, list_: bool = False, **extra) -> dict:
    return {
        "type": {"type": kind, "list": list_, **extra},
        "nullable": True,
        "defaultValue": None,
        "immutable": False,
        "autoIncrement": False,
        "constraintState": {},
    }


def container(space: str, external_id: str, properties: dict, used_for: str = "record") -> dict:
    return {
        "space": space,
        "externalId": external_id,
        "usedFor": used_for,
        "properties": properties,
        "constraints": {},
        "indexes": {},
        "createdTime": 0,
        "lastUpdatedTime": 0,
        "isGlobal": False,
    }


SCHEMA = Schema(
    {
        ("s", "All"): container(
            "s",
            "All",
            {
                "text": prop("text"),
                "i32": prop("int32"),
                "i64": prop("int64"),
                "f32": prop("float32"),
                "f64": prop("float64"),
                "flag": prop("boolean"),
                "at": prop("timestamp"),
                "day": prop("date"),
                "doc": prop("json"),
                "ref": prop("direct"),
                "level": prop("enum", values={"LOW": {}, "HIGH": {}}),
                "texts": prop("text", True),
                "ints": prop("int64", True),
                "floats": prop("float64", True),
                "flags": prop("boolean", True),
                "ats": prop("timestamp", True),
                "days": prop("date", True),
                "docs": prop("json", True),
                "refs": prop("direct", True),
            },
        ),
        ("s", "Other"): container("s", "Other", {"note": prop("text")}),
        ("s", "Nodes"): container("s", "Nodes", {"name": prop("text")}, used_for="node"),
        ("scada", "ScadaAlarm"): container(
            "scada",
            "ScadaAlarm",
            {"raisedAt": prop("timestamp"), "ackedBy": prop("text"), "severity": prop("text")},
        ),
    }
)


def record(
    external_id: str, all_=None, other=None, space: str = "s", created: int = 1000, updated: int = 2000
):
    properties = {}
    if all_ is not None:
        properties.setdefault("s", {})["All"] = all_
    if other is not None:
        properties.setdefault("s", {})["Other"] = other
    return {
        "space": space,
        "externalId": external_id,
        "createdTime": created,
        "lastUpdatedTime": updated,
        "properties": properties,
    }


def tombstone(external_id: str, space: str = "s", updated: int = 2000) -> dict:
    return {**record(external_id, space=space, updated=updated), "status": "deleted"}


FULL = record(
    "full",
    {
        "text": "Pump-17",
        "i32": 5,
        "i64": 9_000_000_000,
        "f32": 1.5,
        "f64": 73.5,
        "flag": True,
        "at": "2026-08-01T12:00:00.000Z",
        "day": "2026-08-01",
        "doc": {"a": 1},
        "ref": {"space": "s", "externalId": "pump"},
        "level": "HIGH",
        "texts": ["red", "green"],
        "ints": [1, 2, 3],
        "floats": [0.5, 2.0],
        "flags": [False],
        "ats": ["2026-08-01T00:00:00.000Z"],
        "days": ["2026-01-01", "2026-02-01"],
        "docs": [{"x": 1}],
        "refs": [{"space": "s", "externalId": "a"}, {"space": "s", "externalId": "b"}],
    },
    other={"note": "hello"},
    created=1_754_049_600_000,
    updated=1_754_049_601_000,
)
SPARSE = record("sparse", {"text": "Valve-2", "i32": 7, "level": "LOW"}, space="t", created=10, updated=20)
EMPTY = record("empty", {})
DELETED = tombstone("full", updated=1_754_049_700_000)
RECORDS = [FULL, SPARSE, EMPTY, DELETED]


def matching(node: dict, records=None) -> list[str]:
    """The (externalId, status) labels of the records a filter matches."""
    predicate = compile_filter(node, SCHEMA)
    chosen = RECORDS if records is None else records
    return [r["externalId"] + ("(deleted)" if "status" in r else "") for r in chosen if predicate(r)]


def rejected(node: object) -> str:
    with pytest.raises(ApiError) as caught:
        compile_filter(node, SCHEMA)
    assert caught.value.code == 400
    return caught.value.message


P = ["s", "All"]


# --- leaves: matching ----------------------------------------------------------------------


def test_match_all_matches_every_record_including_tombstones():
    assert matching({"matchAll": {}}) == ["full", "sparse", "empty", "full(deleted)"]


def test_exists_needs_a_non_null_value():
    assert matching({"exists": {"property": [*P, "f64"]}}) == ["full"]
    assert matching({"exists": {"property": [*P, "i32"]}}) == ["full", "sparse"]
    nulled = record("nulled", {"f64": None})
    assert matching({"exists": {"property": [*P, "f64"]}}, [nulled]) == []
    assert matching({"exists": {"property": [*P, "docs"]}}) == ["full"]


@pytest.mark.parametrize(
    "name, hit, miss",
    [
        ("text", "Pump-17", "pump-17"),
        ("i32", 5, 6),
        ("i32", 5.0, 6.0),
        ("i64", 9_000_000_000, 1),
        ("f32", 1.5, 1.25),
        ("f64", 73.5, 73),
        ("flag", True, False),
        ("at", "2026-08-01T14:00:00+02:00", "2026-08-01T12:00:00.001Z"),
        ("day", "2026-08-01", "2026-08-02"),
        ("ref", {"space": "s", "externalId": "pump"}, {"space": "s", "externalId": "valve"}),
        ("level", "HIGH", "LOW"),
    ],
)
def test_equals_on_each_single_valued_type(name, hit, miss):
    records = [FULL, EMPTY, DELETED]
    assert matching({"equals": {"property": [*P, name], "value": hit}}, records) == ["full"]
    assert matching({"equals": {"property": [*P, name], "value": miss}}, records) == []


def test_equals_int_matches_float_and_float_matches_int():
    assert matching({"equals": {"property": [*P, "f64"], "value": 73.5}}) == ["full"]
    floats = record("floaty", {"f64": 5.0})
    assert matching({"equals": {"property": [*P, "f64"], "value": 5}}, [floats]) == ["floaty"]


def test_equals_on_top_level_properties():
    assert matching({"equals": {"property": ["space"], "value": "t"}}) == ["sparse"]
    assert matching({"equals": {"property": ["externalId"], "value": "full"}}) == ["full", "full(deleted)"]
    assert matching({"equals": {"property": ["createdTime"], "value": 10}}) == ["sparse"]
    assert matching({"equals": {"property": ["lastUpdatedTime"], "value": "2025-08-01T12:00:01Z"}}) == [
        "full"
    ]
    assert matching({"equals": {"property": ["lastUpdatedTime"], "value": 21}}) == []


def test_in_matches_any_of_the_values():
    assert matching({"in": {"property": [*P, "level"], "values": ["LOW", "HIGH"]}}) == ["full", "sparse"]
    assert matching({"in": {"property": [*P, "i32"], "values": [7, 8]}}) == ["sparse"]
    assert matching({"in": {"property": [*P, "text"], "values": ["x", "y"]}}) == []
    assert matching({"in": {"property": ["externalId"], "values": ["sparse", "empty"]}}) == [
        "sparse",
        "empty",
    ]
    created = ["sparse", "empty", "full(deleted)"]
    assert matching({"in": {"property": ["createdTime"], "values": [1000, 10.0]}}) == created
    refs = [{"space": "s", "externalId": "valve"}, {"space": "s", "externalId": "pump"}]
    assert matching({"in": {"property": [*P, "ref"], "values": refs}}) == ["full"]


def test_malformed_direct_relation_matches_nothing_instead_of_failing():
    assert matching({"equals": {"property": [*P, "ref"], "value": {"space": "s"}}}) == []
    assert matching({"equals": {"property": [*P, "ref"], "value": "pump"}}) == []
    good_and_bad = [{"externalId": "pump"}, {"space": "s", "externalId": "pump"}]
    assert matching({"in": {"property": [*P, "ref"], "values": good_and_bad}}) == ["full"]
    assert matching({"in": {"property": [*P, "ref"], "values": [{"externalId": "pump"}]}}) == []
    assert matching({"not": {"equals": {"property": [*P, "ref"], "value": {}}}}) == [
        "full",
        "sparse",
        "empty",
        "full(deleted)",
    ]


@pytest.mark.parametrize(
    "name, bounds, expected",
    [
        ("i32", {"gte": 5}, ["full", "sparse"]),
        ("i32", {"gt": 5}, ["sparse"]),
        ("i32", {"gt": 4.5, "lt": 6}, ["full"]),
        ("i32", {"lte": 5}, ["full"]),
        ("i32", {"lt": 5}, []),
        ("f64", {"gte": 73.5, "lte": 73.5}, ["full"]),
        ("at", {"gte": "2026-08-01T00:00:00Z"}, ["full"]),
        ("at", {"gt": "2026-08-01T14:00:00+02:00"}, []),
        ("at", {"lt": "2026-08-01T12:00:00.001Z"}, ["full"]),
        ("day", {"gt": "2026-07-31", "lte": "2026-08-01"}, ["full"]),
        ("day", {"lt": "2026-08-01"}, []),
    ],
)
def test_range_on_container_properties(name, bounds, expected):
    assert matching({"range": {"property": [*P, name], **bounds}}) == expected


def test_range_on_top_level_times_takes_epoch_ms_or_iso_strings():
    assert matching({"range": {"property": ["createdTime"], "lt": 1000}}) == ["sparse"]
    assert matching({"range": {"property": ["createdTime"], "gte": "2025-08-01T12:00:00Z"}}) == ["full"]
    window = {"gt": 2000, "lte": "2025-08-01T12:01:40Z"}
    assert matching({"range": {"property": ["lastUpdatedTime"], **window}}) == ["full", "full(deleted)"]


def test_prefix_is_case_sensitive_on_text_and_ids():
    assert matching({"prefix": {"property": [*P, "text"], "value": "Pump"}}) == ["full"]
    assert matching({"prefix": {"property": [*P, "text"], "value": "pump"}}) == []
    assert matching({"prefix": {"property": ["externalId"], "value": "full"}}) == ["full", "full(deleted)"]
    assert matching({"prefix": {"property": ["space"], "value": "t"}}) == ["sparse"]


@pytest.mark.parametrize(
    "name, values, any_hit, all_hit",
    [
        ("texts", ["green", "blue"], True, False),
        ("texts", ["green", "red"], True, True),
        ("texts", ["blue"], False, False),
        ("ints", [3, 4.0], True, False),
        ("ints", [1.0, 2], True, True),
        ("floats", [2], True, True),
        ("flags", [True], False, False),
        ("flags", [False], True, True),
        ("ats", ["2026-08-01T02:00:00+02:00"], True, True),
        ("days", ["2026-01-01", "2026-03-01"], True, False),
        ("refs", [{"space": "s", "externalId": "b"}], True, True),
        ("refs", [{"space": "s", "externalId": "b"}, {"space": "s", "externalId": "c"}], True, False),
        ("refs", [{"space": "s", "externalId": "b"}, {"externalId": "a"}], True, False),
    ],
)
def test_contains_any_and_all_on_list_properties(name, values, any_hit, all_hit):
    assert matching({"containsAny": {"property": [*P, name], "values": values}}) == (
        ["full"] if any_hit else []
    )
    assert matching({"containsAll": {"property": [*P, name], "values": values}}) == (
        ["full"] if all_hit else []
    )


def test_has_data_needs_data_in_every_referenced_container():
    all_ref = {"type": "container", "space": "s", "externalId": "All"}
    other_ref = {"type": "container", "space": "s", "externalId": "Other"}
    assert matching({"hasData": [all_ref]}) == ["full", "sparse", "empty"]
    assert matching({"hasData": [all_ref, other_ref]}) == ["full"]
    assert matching({"hasData": [other_ref]}) == ["full"]


# --- boolean filters and tombstones --------------------------------------------------------


def test_and_or_and_nesting():
    low = {"equals": {"property": [*P, "level"], "value": "LOW"}}
    high = {"equals": {"property": [*P, "level"], "value": "HIGH"}}
    in_s = {"equals": {"property": ["space"], "value": "s"}}
    assert matching({"or": [low, high]}) == ["full", "sparse"]
    assert matching({"and": [in_s, {"or": [low, high]}]}) == ["full"]
    assert matching({"and": [low, high]}) == []
    assert matching({"and": [in_s]}) == ["full", "empty", "full(deleted)"]
    assert matching({"or": [{"and": [in_s, low]}, {"not": in_s}]}) == ["sparse"]


def test_not_of_a_missing_property_matches():
    assert matching({"not": {"equals": {"property": [*P, "level"], "value": "HIGH"}}}) == [
        "sparse",
        "empty",
        "full(deleted)",
    ]
    assert matching({"not": {"exists": {"property": [*P, "f64"]}}}) == ["sparse", "empty", "full(deleted)"]
    assert matching({"not": {"not": {"exists": {"property": [*P, "f64"]}}}}) == ["full"]


def test_tombstones_match_only_top_level_leaves():
    only = [DELETED]
    assert matching({"equals": {"property": ["externalId"], "value": "full"}}, only) == ["full(deleted)"]
    assert matching({"range": {"property": ["lastUpdatedTime"], "gt": 0}}, only) == ["full(deleted)"]
    assert matching({"prefix": {"property": ["space"], "value": "s"}}, only) == ["full(deleted)"]
    for leaf in (
        {"equals": {"property": [*P, "text"], "value": "Pump-17"}},
        {"exists": {"property": [*P, "text"]}},
        {"range": {"property": [*P, "i32"], "gte": 0}},
        {"containsAny": {"property": [*P, "texts"], "values": ["red"]}},
        {"hasData": [{"type": "container", "space": "s", "externalId": "All"}]},
    ):
        assert matching(leaf, only) == []


def test_records_api_example_from_section_8_1():
    node = {
        "and": [
            {"equals": {"property": ["space"], "value": "scada"}},
            {"in": {"property": ["externalId"], "values": ["a-1", "a-2"]}},
            {"range": {"property": ["scada", "ScadaAlarm", "raisedAt"], "gte": "2026-08-01T00:00:00Z"}},
            {"not": {"exists": {"property": ["scada", "ScadaAlarm", "ackedBy"]}}},
            {"hasData": [{"type": "container", "space": "scada", "externalId": "ScadaAlarm"}]},
        ]
    }

    def alarm(external_id, raised, acked=None, space="scada"):
        values = {"raisedAt": raised, "severity": "HIGH"}
        if acked:
            values["ackedBy"] = acked
        return {
            "space": space,
            "externalId": external_id,
            "createdTime": 1,
            "lastUpdatedTime": 1,
            "properties": {"scada": {"ScadaAlarm": values}},
        }

    alarms = [
        alarm("a-1", "2026-08-01T12:00:00.000Z"),
        alarm("a-2", "2026-07-31T23:59:59.999Z"),
        alarm("a-3", "2026-08-02T00:00:00.000Z"),
        alarm("a-2", "2026-08-02T00:00:00.000Z", acked="ops"),
        alarm("a-1", "2026-08-02T00:00:00.000Z", space="other"),
        {**alarm("a-2", "2026-08-02T00:00:00.000Z"), "properties": {}},
    ]
    predicate = compile_filter(node, SCHEMA)
    assert [index for index, a in enumerate(alarms) if predicate(a)] == [0]
    assert referenced_properties(node) == {
        ("scada", "ScadaAlarm", "raisedAt"),
        ("scada", "ScadaAlarm", "ackedBy"),
    }


def test_referenced_properties_walks_the_whole_tree():
    node = {
        "or": [
            {"not": {"equals": {"property": [*P, "text"], "value": "x"}}},
            {
                "and": [
                    {"range": {"property": ["createdTime"], "gt": 0}},
                    {"exists": {"property": [*P, "ints"]}},
                ]
            },
            {"hasData": [{"type": "container", "space": "s", "externalId": "Other"}]},
        ]
    }
    assert referenced_properties(node) == {("s", "All", "text"), ("s", "All", "ints")}
    assert referenced_properties({"matchAll": {}}) == set()


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "node, path",
    [
        ([], "filter:"),
        ({}, "filter:"),
        ({"equals": {}, "in": {}}, "filter:"),
        ({"and": [{"matchAll": {}}, "x"]}, "filter.and[1]:"),
        ({"bogus": {}}, "filter:"),
        ({"and": []}, "filter.and:"),
        ({"or": [{"matchAll": {}}] * 100}, "filter.or:"),
        ({"or": {"matchAll": {}}}, "filter.or:"),
        ({"not": [{"matchAll": {}}]}, "filter.not:"),
        ({"matchAll": {"x": 1}}, "filter.matchAll:"),
        ({"exists": {}}, "filter.exists:"),
        ({"exists": {"property": [*P, "text"], "value": 1}}, "filter.exists:"),
        ({"equals": {"property": [*P, "text"]}}, "filter.equals:"),
        ({"equals": "x"}, "filter.equals:"),
    ],
)
def test_malformed_trees_are_rejected_naming_the_path(node, path):
    assert rejected(node).startswith(path)


@pytest.mark.parametrize(
    "name", ["nested", "overlaps", "instanceReferences", "geojsonWithin", "geojsonIntersects", "search"]
)
def test_filters_outside_the_records_language_are_not_supported(name):
    message = rejected({"and": [{"matchAll": {}}, {name: {}}]})
    assert message.startswith(f"filter.and[1].{name}:")
    assert "not supported for records" in message


@pytest.mark.parametrize(
    "node, path",
    [
        ({"equals": {"property": [*P, "text"], "value": {"parameter": "p"}}}, "filter.equals.value:"),
        ({"in": {"property": ["space"], "values": ["s", {"parameter": "p"}]}}, "filter.in.values[1]:"),
        ({"range": {"property": [*P, "i32"], "gt": {"parameter": "p"}}}, "filter.range.gt:"),
        ({"equals": {"property": [*P, "ref"], "value": {"parameter": "p"}}}, "filter.equals.value:"),
        ({"equals": {"property": [*P, "text"], "value": {"property": [*P, "text"]}}}, "filter.equals.value:"),
        ({"range": {"property": [*P, "at"], "lt": {"property": [*P, "at"]}}}, "filter.range.lt:"),
        ({"prefix": {"property": [*P, "text"], "value": {"property": ["space"]}}}, "filter.prefix.value:"),
    ],
)
def test_parameter_and_property_reference_values_are_not_supported(node, path):
    message = rejected(node)
    assert message.startswith(path)
    assert "not supported for records" in message


@pytest.mark.parametrize(
    "node, path",
    [
        ({"exists": {"property": ["externalId"]}}, "filter.exists.property:"),
        ({"containsAny": {"property": ["space"], "values": ["s"]}}, "filter.containsAny.property:"),
        ({"range": {"property": ["space"], "gt": "a"}}, "filter.range.property:"),
        ({"prefix": {"property": ["createdTime"], "value": "1"}}, "filter.prefix.property:"),
        ({"equals": {"property": ["status"], "value": "x"}}, "filter.equals.property:"),
        ({"equals": {"property": ["s", "All"], "value": "x"}}, "filter.equals.property:"),
        ({"equals": {"property": "externalId", "value": "x"}}, "filter.equals.property:"),
        ({"equals": {"property": ["s", "", "text"], "value": "x"}}, "filter.equals.property:"),
        ({"equals": {"property": ["s", "All", 1], "value": "x"}}, "filter.equals.property:"),
        ({"equals": {"property": ["s", "Missing", "text"], "value": "x"}}, "filter.equals.property:"),
        ({"equals": {"property": ["s", "All", "missing"], "value": "x"}}, "filter.equals.property:"),
        ({"equals": {"property": ["s", "Nodes", "name"], "value": "x"}}, "filter.equals.property:"),
    ],
)
def test_bad_property_references(node, path):
    assert rejected(node).startswith(path)


def test_unknown_container_error_keeps_the_missing_member():
    with pytest.raises(ApiError) as caught:
        compile_filter({"not": {"exists": {"property": ["s", "Missing", "x"]}}}, SCHEMA)
    assert caught.value.message.startswith("filter.not.exists.property: Container s:Missing does not exist")
    assert caught.value.extra == {"missing": [{"space": "s", "externalId": "Missing"}]}


@pytest.mark.parametrize(
    "node, path",
    [
        ({"equals": {"property": [*P, "texts"], "value": "red"}}, "filter.equals.property:"),
        ({"in": {"property": [*P, "ints"], "values": [1]}}, "filter.in.property:"),
        ({"equals": {"property": [*P, "doc"], "value": {"a": 1}}}, "filter.equals.property:"),
        ({"containsAny": {"property": [*P, "text"], "values": ["a"]}}, "filter.containsAny.property:"),
        ({"containsAll": {"property": [*P, "i32"], "values": [1]}}, "filter.containsAll.property:"),
        ({"containsAny": {"property": [*P, "docs"], "values": [{"x": 1}]}}, "filter.containsAny.property:"),
        ({"range": {"property": [*P, "text"], "gt": "a"}}, "filter.range.property:"),
        ({"range": {"property": [*P, "flag"], "gt": False}}, "filter.range.property:"),
        ({"range": {"property": [*P, "level"], "gt": "LOW"}}, "filter.range.property:"),
        ({"range": {"property": [*P, "ints"], "gt": 1}}, "filter.range.property:"),
        ({"prefix": {"property": [*P, "level"], "value": "L"}}, "filter.prefix.property:"),
        ({"prefix": {"property": [*P, "texts"], "value": "r"}}, "filter.prefix.property:"),
    ],
)
def test_leaf_used_on_a_property_type_it_does_not_apply_to(node, path):
    assert rejected(node).startswith(path)


@pytest.mark.parametrize(
    "node, path",
    [
        ({"equals": {"property": [*P, "at"], "value": 1754049600000}}, "filter.equals.value:"),
        ({"equals": {"property": [*P, "at"], "value": "1754049600000"}}, "filter.equals.value:"),
        ({"range": {"property": [*P, "at"], "gte": 1754049600000}}, "filter.range.gte:"),
        ({"range": {"property": [*P, "day"], "gte": "2026-08-01T00:00:00Z"}}, "filter.range.gte:"),
        ({"range": {"property": [*P, "i32"], "lt": "5"}}, "filter.range.lt:"),
        ({"range": {"property": [*P, "f64"], "lt": True}}, "filter.range.lt:"),
        ({"range": {"property": ["createdTime"], "lt": "yesterday"}}, "filter.range.lt:"),
        ({"equals": {"property": ["lastUpdatedTime"], "value": True}}, "filter.equals.value:"),
        ({"equals": {"property": ["space"], "value": 5}}, "filter.equals.value:"),
        ({"equals": {"property": [*P, "i32"], "value": 2.5}}, "filter.equals.value:"),
        ({"equals": {"property": [*P, "i32"], "value": 2**40}}, "filter.equals.value:"),
        ({"equals": {"property": [*P, "text"], "value": 5}}, "filter.equals.value:"),
        ({"equals": {"property": [*P, "flag"], "value": "true"}}, "filter.equals.value:"),
        ({"equals": {"property": [*P, "level"], "value": "MEDIUM"}}, "filter.equals.value:"),
        ({"equals": {"property": [*P, "day"], "value": "2026-02-30"}}, "filter.equals.value:"),
        ({"in": {"property": [*P, "f64"], "values": [1, "x"]}}, "filter.in.values[1]:"),
        ({"containsAny": {"property": [*P, "ints"], "values": ["1"]}}, "filter.containsAny.values[0]:"),
        ({"containsAll": {"property": [*P, "ats"], "values": [0]}}, "filter.containsAll.values[0]:"),
    ],
)
def test_values_must_fit_the_property_type(node, path):
    assert rejected(node).startswith(path)


@pytest.mark.parametrize(
    "bounds, fragment",
    [
        ({}, "at least one bound"),
        ({"gt": 1, "gte": 1}, "do not combine"),
        ({"lt": 1, "lte": 1}, "do not combine"),
        ({"gt": 1, "between": 2}, "unknown fields between"),
    ],
)
def test_range_bounds_rules(bounds, fragment):
    message = rejected({"and": [{"range": {"property": [*P, "i32"], **bounds}}]})
    assert message.startswith("filter.and[0].range:")
    assert fragment in message


@pytest.mark.parametrize("value", ["", "x" * 501, 5, None])
def test_prefix_value_must_be_1_to_500_characters(value):
    assert rejected({"prefix": {"property": ["externalId"], "value": value}}).startswith(
        "filter.prefix.value:"
    )


def test_prefix_value_of_500_characters_is_accepted():
    assert matching({"prefix": {"property": ["externalId"], "value": "x" * 500}}) == []


@pytest.mark.parametrize("leaf", ["in", "containsAny", "containsAll"])
@pytest.mark.parametrize("values", [[], list(range(101)), 5])
def test_value_lists_hold_1_to_100_values(leaf, values):
    name = "i32" if leaf == "in" else "ints"
    message = rejected({leaf: {"property": [*P, name], "values": values}})
    assert message.startswith(f"filter.{leaf}.values:")


def test_value_lists_of_100_values_are_accepted():
    assert matching({"in": {"property": [*P, "i32"], "values": list(range(100))}}) == ["full", "sparse"]


@pytest.mark.parametrize(
    "refs, path",
    [
        ([], "filter.hasData:"),
        ({"type": "container", "space": "s", "externalId": "All"}, "filter.hasData:"),
        ([{"type": "container", "space": "s", "externalId": "All"}] * 11, "filter.hasData:"),
        ([{"type": "view", "space": "s", "externalId": "All"}], "filter.hasData[0]:"),
        ([{"space": "s", "externalId": "All"}], "filter.hasData[0]:"),
        ([{"type": "container", "space": "s", "externalId": "All", "version": "1"}], "filter.hasData[0]:"),
        ([{"type": "container", "space": "s", "externalId": "Missing"}], "filter.hasData[0]:"),
        ([{"type": "container", "space": "s", "externalId": "Nodes"}], "filter.hasData[0]:"),
    ],
)
def test_has_data_references(refs, path):
    assert rejected({"hasData": refs}).startswith(path)


def test_has_data_accepts_ten_references():
    refs = [{"type": "container", "space": "s", "externalId": "All"}] * 10
    assert matching({"hasData": refs}) == ["full", "sparse", "empty"]


def test_at_most_100_nodes():
    leaf = {"matchAll": {}}
    hundred = {"and": [{"and": [leaf] * 50}, {"and": [leaf] * 47}]}
    assert matching(hundred) == ["full", "sparse", "empty", "full(deleted)"]
    hundred_and_one = {"and": [{"and": [leaf] * 50}, {"and": [leaf] * 48}]}
    assert "more than 100 nodes" in rejected(hundred_and_one)


def test_at_most_10_levels_deep():
    node = {"exists": {"property": [*P, "f64"]}}
    for _ in range(9):
        node = {"not": node}
    assert matching(node) == ["sparse", "empty", "full(deleted)"]
    message = rejected({"and": [node]})
    assert message.startswith("filter.and[0]" + ".not" * 9 + ":")
    assert "deeper than 10 levels" in message
