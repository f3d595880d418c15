"""The query builder's tree: reading and writing filter JSON, the URL, edits, validation, summaries."""

import json

import pytest

from records.query import edits, filter_json, filter_tree, summary, validation
from records.query.filter_tree import EMPTY, Clause, FilterError, Group, Raw


def container(external_id, **types):
    return {
        "space": "plant",
        "externalId": external_id,
        "properties": {pid: {"type": t} for pid, t in types.items()},
    }


CONTAINERS = [
    container(
        "Reading",
        name={"type": "text"},
        count={"type": "int32"},
        big={"type": "int64"},
        temperature={"type": "float64"},
        at={"type": "timestamp"},
        day={"type": "date"},
        ok={"type": "boolean"},
        status={"type": "enum", "values": {"running": {}, "stopped": {}}},
        asset={"type": "direct"},
        extra={"type": "json"},
        tags={"type": "text", "list": True},
        samples={"type": "float64", "list": True},
        parents={"type": "direct", "list": True},
    ),
    container("Alarm", message={"type": "text"}),
]
R = ["plant", "Reading"]


def prop(name):
    return [*R, name]


def path(name):
    return ("plant", "Reading", name)


def eq(name, value):
    return {"equals": {"property": prop(name), "value": value}}


LEAVES = [
    {"matchAll": {}},
    {"exists": {"property": prop("extra")}},
    eq("name", "pump"),
    eq("count", 3),
    eq("temperature", 2.5),
    eq("ok", False),
    eq("status", "running"),
    eq("asset", {"space": "plant", "externalId": "p-1"}),
    eq("at", "2026-08-01T00:00:00+02:00"),
    eq("day", "2026-08-01"),
    {"in": {"property": prop("status"), "values": ["running", "stopped"]}},
    {"in": {"property": prop("big"), "values": [1, 2, 3]}},
    {"range": {"property": prop("temperature"), "gte": 80, "lt": 100.5}},
    {"range": {"property": prop("at"), "lte": "2026-08-01T00:00:00Z", "gt": "2026-07-01T00:00:00Z"}},
    {"range": {"property": prop("day"), "gt": "2026-01-01"}},
    {"prefix": {"property": prop("name"), "value": "test"}},
    {"containsAny": {"property": prop("tags"), "values": ["a", "b"]}},
    {"containsAll": {"property": prop("samples"), "values": [1.5]}},
    {"containsAny": {"property": prop("parents"), "values": [{"space": "s", "externalId": "x"}]}},
    {"hasData": [{"type": "container", "space": "plant", "externalId": "Reading"}]},
    {"hasData": [{"type": "container", "space": "plant", "externalId": x} for x in ("Reading", "Alarm")]},
    {"equals": {"property": ["space"], "value": "plant"}},
    {"in": {"property": ["externalId"], "values": ["a-1", "a-2"]}},
    {"prefix": {"property": ["externalId"], "value": "a-"}},
    {"range": {"property": ["createdTime"], "gte": 1_700_000_000_000}},
    {"range": {"property": ["lastUpdatedTime"], "lt": "2026-08-01T00:00:00Z"}},
    {"equals": {"property": ["lastUpdatedTime"], "value": 5}},
]
UNDRAWABLE = [
    {"nested": {"scope": prop("asset"), "filter": {"matchAll": {}}}},
    {"someFutureLeaf": {"property": prop("name")}},
    {"equals": {"property": prop("name"), "value": "x", "extra": 1}},
    {"equals": {"property": ["plant", "Unknown", "name"], "value": "x"}},
    {"equals": {"property": ["plant", "Reading"], "value": "x"}},
    {"equals": {"property": ["id"], "value": "x"}},
    {"equals": {"property": prop("name"), "value": {"parameter": "p"}}},
    {"range": {"property": prop("count"), "gt": {"property": prop("big")}}},
    {"in": {"property": prop("name"), "values": "x"}},
    {"hasData": [{"type": "container", "space": "plant", "externalId": "Nope"}]},
    {"hasData": {"type": "container", "space": "plant", "externalId": "Reading"}},
    {"matchAll": {"x": 1}},
]
NESTED = [
    {"and": [eq("status", "running"), {"or": [eq("count", 1), eq("count", 2)]}]},
    {"or": [eq("name", "a")]},  # a group of one child stays a group
    {"not": {"and": [eq("name", "a"), eq("count", 1)]}},
    {"not": {"not": eq("name", "a")}},
    {"not": {"not": {"not": {"or": [{"not": {"matchAll": {}}}]}}}},
    {"and": [{"and": [{"and": [eq("ok", True)]}]}, {"or": []}]},
    {"and": [eq("name", "a"), *UNDRAWABLE[:2], {"not": UNDRAWABLE[2]}]},
    {"and": [{"equals": {"property": prop("name")}}, {"range": {"property": prop("count")}}, {"in": {}}]},
]
ALL = LEAVES + UNDRAWABLE + NESTED


@pytest.mark.parametrize("data", ALL, ids=lambda data: json.dumps(data)[:60])
def test_json_round_trip(data):
    tree = filter_json.from_filter(data, CONTAINERS)
    assert filter_json.to_filter(tree) == data
    # Builder -> JSON -> builder -> URL -> builder leaves the tree as it was.
    again = filter_json.from_filter(filter_json.to_filter(tree), CONTAINERS)
    assert again == tree
    param = filter_json.to_param(again)
    assert json.loads(param) == data
    assert filter_json.from_param(param, CONTAINERS) == tree
    assert filter_json.to_param(filter_json.from_param(param, CONTAINERS)) == param


@pytest.mark.parametrize("data", LEAVES)
def test_drawable_leaves_become_clauses(data):
    assert isinstance(filter_json.from_filter(data, CONTAINERS), Clause)


@pytest.mark.parametrize("data", UNDRAWABLE)
def test_undrawable_parts_are_kept_raw(data):
    tree = filter_json.from_filter({"and": [eq("name", "a"), {"not": data}]}, CONTAINERS)
    assert tree.children[1] == Raw(data, nots=1)


def test_tree_shapes():
    tree = filter_json.from_filter(
        {"not": {"and": [{"not": {"not": eq("count", 1)}}, {"range": {"property": prop("count"), "gt": 1}}]}},
        CONTAINERS,
    )
    assert tree == Group(
        "and",
        (Clause("equals", path("count"), 1, nots=2), Clause("range", path("count"), {"gt": 1})),
        nots=1,
    )
    assert tree.negated and not tree.children[0].negated
    assert filter_json.from_filter({"hasData": []}, CONTAINERS) == Clause("hasData", value=[])
    assert filter_json.from_filter(
        {"hasData": [{"type": "container", "space": "plant", "externalId": "Alarm"}]}, CONTAINERS
    ) == Clause("hasData", value=[("plant", "Alarm")])


def test_no_filter():
    assert filter_json.from_filter(None, CONTAINERS) == EMPTY
    assert filter_json.to_filter(EMPTY) is None
    assert filter_json.to_param(EMPTY) == ""
    assert filter_json.from_param("", CONTAINERS) == EMPTY
    assert summary.summary(EMPTY, CONTAINERS) == "all records"
    assert validation.validate(EMPTY, CONTAINERS) == {}


def test_incomplete_clauses_round_trip():
    tree = Group("and", (Clause("equals"), Clause("in", path("status")), Clause("range", path("count")),
                         Clause("hasData"), Clause("in", path("status"), [])))  # fmt: skip
    data = filter_json.to_filter(tree)
    assert data == {"and": [
        {"equals": {}}, {"in": {"property": prop("status")}}, {"range": {"property": prop("count")}},
        {"hasData": []}, {"in": {"property": prop("status"), "values": []}},
    ]}  # fmt: skip
    assert filter_json.from_filter(data, CONTAINERS) == tree
    assert filter_json.from_param(filter_json.to_param(tree), CONTAINERS) == tree


@pytest.mark.parametrize(
    "data, message",
    [
        ([], "filter: a filter must be an object with exactly one key, got a list"),
        ({"and": [eq("name", "a"), "x"]}, "filter.and[1]: a filter must be an object with exactly one key"),
        ({"or": [{"a": 1, "b": 2}]}, "filter.or[0]: a filter must be an object with exactly one key, got 2"),
        ({"not": {"and": {}}}, "filter.not.and: must be a list of filters, got an object"),
    ],
)
def test_malformed_filters(data, message):
    with pytest.raises(FilterError, match=message.replace("[", r"\[").replace("]", r"\]")):
        filter_json.from_filter(data, CONTAINERS)


def nest(levels):
    data = {"matchAll": {}}
    for _ in range(levels - 1):
        data = {"and": [data]}
    return data


def test_limits_when_reading():
    assert filter_tree.depth(filter_json.from_filter(nest(10), CONTAINERS)) == 10
    with pytest.raises(FilterError, match="nested deeper than 10 levels"):
        filter_json.from_filter(nest(11), CONTAINERS)
    with pytest.raises(FilterError, match="nested deeper than 10 levels"):
        filter_json.from_filter({"not": nest(10)}, CONTAINERS)
    hundred = {"and": [eq("count", n) for n in range(99)]}
    assert filter_tree.count_nodes(filter_json.from_filter(hundred, CONTAINERS)) == 100
    with pytest.raises(FilterError, match="101 nodes; the API allows at most 100"):
        filter_json.from_filter({"and": [*hundred["and"], eq("count", 99)]}, CONTAINERS)
    with pytest.raises(FilterError, match="101 nodes"):
        filter_json.from_filter({"not": hundred}, CONTAINERS)


@pytest.mark.parametrize(
    "text, message",
    [
        ("{", "not valid JSON"),
        ('{"equals": {"property": ["space"], "value": NaN}}', "not valid JSON"),
        ("[" * 5000, "not valid JSON"),
        ("x" * (filter_tree.MAX_PARAM_CHARS + 1), "16001 characters long; at most 16000"),
        ('"and"', "exactly one key, got a string"),
        (json.dumps(nest(11)), "deeper than 10"),
    ],
)
def test_bad_url_parameters(text, message):
    with pytest.raises(ValueError, match=message):
        filter_json.from_param(text, CONTAINERS)


def test_url_parameter_is_compact_json():
    tree = filter_json.from_filter(eq("name", "pümpe"), CONTAINERS)
    assert filter_json.to_param(tree) == '{"equals":{"property":["plant","Reading","name"],"value":"pümpe"}}'


# --- edits -----------------------------------------------------------------------------------


A = Clause("equals", path("name"), "a")
B = Clause("equals", path("name"), "b")
C = Clause("equals", path("name"), "c")


def test_add_clause_and_group():
    tree = edits.add_clause(EMPTY, "", A)
    assert tree == Group("and", (A,))
    tree = edits.add_group(tree, "", "or")
    tree = edits.add_clause(tree, "1", B)
    tree = edits.add_clause(tree, "1")
    assert tree == Group("and", (A, Group("or", (B, Clause("equals")))))
    # Beside a lone clause at the root, both go into an "and" group.
    assert edits.add_clause(A, "", B) == Group("and", (A, B))
    assert edits.add_group(A, "") == Group("and", (A, Group()))


def test_add_errors():
    tree = Group("and", (A,))
    with pytest.raises(FilterError, match="'0' is not a group"):
        edits.add_clause(tree, "0", B)
    with pytest.raises(FilterError, match="no condition at '3'"):
        edits.add_clause(tree, "3", B)
    with pytest.raises(FilterError, match="'x' is not a path"):
        edits.add_clause(tree, "x", B)
    with pytest.raises(FilterError, match="and or or, not 'not'"):
        edits.add_group(tree, "", "not")


def test_add_enforces_limits():
    deep = filter_json.from_filter(nest(10), CONTAINERS)
    deeper = edits.add_group(deep, "0.0.0.0.0.0.0.0")  # a group on the 10th level is fine
    assert filter_tree.depth(deeper) == 10
    with pytest.raises(FilterError, match="nested 11 levels deep; the API allows at most 10"):
        edits.add_clause(deeper, "0.0.0.0.0.0.0.0.1", B)
    full = Group("and", tuple(Clause("matchAll") for _ in range(99)))
    with pytest.raises(FilterError, match="101 nodes"):
        edits.add_clause(full, "", A)


def test_remove():
    tree = Group("and", (A, Group("or", (B, C))))
    assert edits.remove(tree, "1.0") == Group("and", (A, Group("or", (C,))))
    assert edits.remove(tree, "1") == Group("and", (A,))
    assert edits.remove(tree, "") == EMPTY
    with pytest.raises(FilterError, match=r"no condition at '1\.5'"):
        edits.remove(tree, "1.5")


def test_move():
    tree = Group("and", (A, B, Group("or", (C,))))
    assert edits.move(tree, "0", "", 2) == Group("and", (B, Group("or", (C,)), A))
    assert edits.move(tree, "2", "", 0) == Group("and", (Group("or", (C,)), A, B))
    # The destination group's path shifts when an earlier sibling leaves.
    assert edits.move(tree, "0", "2", 1) == Group("and", (B, Group("or", (C, A))))
    assert edits.move(tree, "2.0", "", 1) == Group("and", (A, C, B, Group("or", ())))
    with pytest.raises(FilterError, match="cannot be moved into itself"):
        edits.move(tree, "2", "2", 0)
    with pytest.raises(FilterError, match="cannot be moved into itself"):
        edits.move(Group("and", (Group("or", (Group(),)),)), "0", "0.0", 0)
    with pytest.raises(FilterError, match="Position 5 is outside"):
        edits.move(tree, "0", "2", 5)
    with pytest.raises(FilterError, match="'0' is not a group"):
        edits.move(tree, "1", "0", 0)


def test_move_enforces_limits():
    tree = Group("and", (filter_json.from_filter(nest(9), CONTAINERS), Group("or", (A,))))
    with pytest.raises(FilterError, match="nested 11 levels deep"):
        edits.move(tree, "1", "0.0.0.0.0.0.0.0", 0)


def test_toggle_not():
    tree = Group("and", (A, Group("or", (B,))))
    once = edits.toggle_not(tree, "1")
    assert once.children[1].nots == 1 and once.children[1].negated
    assert edits.toggle_not(once, "1") == tree
    # A double negation loses one `not`: the meaning flips either way.
    double = edits.set_node(tree, "0", Clause("equals", path("name"), "a", nots=2))
    assert edits.toggle_not(double, "0").children[0].nots == 1
    assert edits.toggle_not(tree, "").nots == 1
    with pytest.raises(FilterError, match="nested 11 levels"):
        edits.toggle_not(filter_json.from_filter(nest(10), CONTAINERS), "0.0.0.0.0.0.0.0.0")


def test_set_node():
    tree = Group("and", (A, Group("or", (B,))))
    assert edits.set_node(tree, "1.0", C) == Group("and", (A, Group("or", (C,))))
    with pytest.raises(FilterError, match="101 nodes"):
        edits.set_node(tree, "1", Group("or", tuple(A for _ in range(98))))


def test_edits_keep_raw_nodes():
    raw = Raw({"nested": {}})
    tree = edits.add_clause(Group("and", (raw,)), "", A)
    tree = edits.move(tree, "0", "", 1)
    assert filter_json.to_filter(tree) == {"and": [filter_json.to_filter(A), {"nested": {}}]}


# --- operators -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "prop_type, operators",
    [
        ({"type": "text"}, ["equals", "in", "prefix", "exists"]),
        ({"type": "int32"}, ["range", "equals", "in", "exists"]),
        ({"type": "float64"}, ["range", "equals", "in", "exists"]),
        ({"type": "timestamp"}, ["range", "equals", "in", "exists"]),
        ({"type": "date"}, ["range", "equals", "in", "exists"]),
        ({"type": "boolean"}, ["equals", "exists"]),
        ({"type": "enum", "values": {}}, ["equals", "in", "exists"]),
        ({"type": "direct"}, ["equals", "in", "exists"]),
        ({"type": "json"}, ["exists"]),
        ({"type": "text", "list": True}, ["containsAny", "containsAll", "exists"]),
        ({"type": "direct", "list": True}, ["containsAny", "containsAll", "exists"]),
        ({"type": "json", "list": True}, ["exists"]),
        ("space", ["equals", "in", "prefix"]),
        ("externalId", ["equals", "in", "prefix"]),
        ("createdTime", ["range", "equals", "in"]),
        ("lastUpdatedTime", ["range", "equals", "in"]),
        (None, ["hasData", "matchAll"]),
    ],
)
def test_operators_for(prop_type, operators):
    assert validation.operators_for(prop_type) == operators


def test_property_type():
    assert filter_tree.property_type(path("count"), CONTAINERS) == {"type": "int32"}
    assert filter_tree.property_type(("space",), CONTAINERS) == "space"
    assert filter_tree.property_type(("plant", "Reading", "nope"), CONTAINERS) is None


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize("data", LEAVES + NESTED[:5] + [{"and": UNDRAWABLE[2:3] + UNDRAWABLE[8:]}])
def test_valid_filters_have_no_errors(data):
    assert validation.validate(filter_json.from_filter(data, CONTAINERS), CONTAINERS) == {}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (UNDRAWABLE[6], "plant.Reading.name: records filters compare with literal values; parameters"),
        (UNDRAWABLE[7], "plant.Reading.count > bound: records filters compare with literal values; property"),
        (eq("count", "x"), "Value for plant.Reading.count must be an integer (int32)"),
        (UNDRAWABLE[3], "plant.Unknown.name: unknown property"),
        (UNDRAWABLE[4], "plant.Reading: not a property"),
        (UNDRAWABLE[5], "id: not a property"),
    ],
)
def test_leaves_kept_as_written_are_still_checked(data, message):
    tree = filter_json.from_filter(data, CONTAINERS)
    assert isinstance(tree, filter_tree.Raw) and filter_json.to_filter(tree) == data
    [problem] = validation.validate(tree, CONTAINERS)[""]
    assert problem.startswith(message)


def errors_of(clause):
    tree = Group("and", (A, Group("or", (B, clause))))
    return validation.validate(tree, CONTAINERS)["1.1"]


@pytest.mark.parametrize(
    "clause, message",
    [
        (Clause("equals"), "equals: choose a property."),
        (Clause("equals", ("plant", "Reading", "gone"), 1), "plant.Reading.gone: unknown property"),
        (Clause("prefix", path("count"), "1"),
         "plant.Reading.count: prefix cannot be used on this int32 property; use range, equals, in, exists."),
        (Clause("exists", ("space",)),
         "space: exists cannot be used on this top-level property; use equals, in, prefix."),
        (Clause("equals", path("tags"), "a"), "equals cannot be used on this text[] property"),
        (Clause("equals", path("extra"), {}), "equals cannot be used on this json property; use exists."),
        (Clause("equals", path("name")), "plant.Reading.name: enter a value."),
        (Clause("equals", path("count"), "3"), "plant.Reading.count must be an integer (int32), got string"),
        (Clause("equals", path("count"), 2**40), "out of range for int32"),
        (Clause("equals", path("temperature"), "hot"), "must be a finite number (float64)"),
        (Clause("equals", path("ok"), "true"), "must be true or false (boolean)"),
        (Clause("equals", path("status"), "broken"), "must be one of the enum values [running, stopped]"),
        (Clause("equals", path("asset"), "p-1"), "must be a reference"),
        (Clause("equals", path("day"), "2026-02-30"), "must be a date string YYYY-MM-DD"),
        (Clause("equals", path("at"), 1_700_000_000_000), "must be an ISO-8601 timestamp"),
        (Clause("equals", path("at"), "2026-08-01T00:00:00"),
         "plant.Reading.at must give its time zone, e.g. 2026-08-01T00:00:00Z for UTC."),
        (Clause("equals", ("externalId",), ""), "externalId must be non-empty text"),
        (Clause("equals", ("createdTime",), "yesterday"),
         "createdTime must be epoch milliseconds or a timestamp with its time zone"),
        (Clause("in", path("status")), "plant.Reading.status: in needs at least one value."),
        (Clause("containsAny", path("tags"), []), "plant.Reading.tags: containsAny needs at least one value"),
        (Clause("in", path("count"), [1, "x"]), "plant.Reading.count value 2 must be an integer"),
        (Clause("in", path("count"), list(range(101))), "in takes at most 100 values (the API's limit); 101"),
        (Clause("containsAll", path("samples"), [1, "x"]), "plant.Reading.samples value 2 must be a finite"),
        (Clause("prefix", path("name"), ""), "plant.Reading.name: the prefix must be text of 1 to 500"),
        (Clause("prefix", path("name"), "x" * 501), "the prefix must be text of 1 to 500 characters"),
        (Clause("range", path("count")), "plant.Reading.count: give at least one bound"),
        (Clause("range", path("count"), {"gt": 1, "gte": 2}), "give one lower bound, > or >=, not both"),
        (Clause("range", path("count"), {"lt": 1, "lte": 2}), "give one upper bound, < or <=, not both"),
        (Clause("range", path("count"), {"gt": "1"}), "plant.Reading.count > bound must be a number"),
        (Clause("range", path("day"), {"gte": "2026-1-1"}), "plant.Reading.day >= bound must be a date"),
        (Clause("range", path("count"), {"gte": 10, "lte": 5}),
         "plant.Reading.count: the range >= 10 and <= 5 is empty; no record can match."),
        (Clause("range", path("count"), {"gt": 5, "lte": 5}), "the range > 5 and <= 5 is empty"),
        (Clause("range", path("at"), {"gte": "2026-08-01T02:00:00+02:00", "lt": "2026-08-01T00:00:00Z"}),
         "is empty"),
        (Clause("range", ("createdTime",), {"gte": "2026-08-01T00:00:00Z", "lt": 1000}), "is empty"),
        (Clause("hasData"), "has data: choose at least one container."),
        (Clause("hasData", value=[("plant", "Nope")]), "has data: unknown container plant.Nope."),
        (Clause("hasData", value=[("plant", "Reading")] * 11), "choose at most 10 containers"),
        (Group("or"), "This or group is empty: add a condition or remove it."),
        (Raw({"nested": {}}), "The nested filter is not supported for records."),
        (Raw({"foo": {}}), "Unknown filter 'foo'"),
    ],
)  # fmt: skip
def test_validation_messages(clause, message):
    assert any(message in problem for problem in errors_of(clause)), errors_of(clause)


def test_validation_paths():
    no_bounds = {"range": {"property": prop("at")}}
    tree = filter_json.from_filter(
        {"not": {"and": [eq("count", "x"), {"or": [eq("name", "a"), {"not": no_bounds}]}]}},
        CONTAINERS,
    )
    errors = validation.validate(tree, CONTAINERS)
    assert list(errors) == ["0", "1.1"]
    assert validation.validate(Clause("equals"), CONTAINERS) == {"": ["equals: choose a property."]}


def test_valid_range_edges():
    for bounds in ({"gte": 5, "lte": 5}, {"gt": 1.5, "lt": 2}, {"gte": -3}):
        assert validation.validate(Clause("range", path("count"), bounds), CONTAINERS) == {}
    ok = Clause("range", path("at"), {"gte": "2026-08-01T00:00:00Z", "lt": "2026-08-01T02:00:01+02:00"})
    assert validation.validate(ok, CONTAINERS) == {}


# --- summary ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, text",
    [
        ({"and": [eq("status", "running"), {"range": {"property": prop("temperature"), "gte": 80}},
                  {"not": {"prefix": {"property": prop("name"), "value": "test"}}}]},
         "status is running and temperature >= 80 and not name starts with 'test'"),
        ({"or": [eq("count", 1), {"and": [eq("ok", True), {"exists": {"property": prop("extra")}}]}]},
         "count is 1 or (ok is true and extra is set)"),
        ({"not": {"or": [eq("count", 1), eq("count", 2)]}}, "not (count is 1 or count is 2)"),
        ({"not": {"not": eq("asset", {"space": "s", "externalId": "x"})}}, "not not asset is s:x"),
        ({"and": [{"or": [eq("name", "a")]}, {"matchAll": {}}]}, "name is 'a' and any record"),
        ({"in": {"property": prop("status"), "values": ["running", "stopped"]}},
         "status is one of running, stopped"),
        ({"containsAny": {"property": prop("tags"), "values": ["a", "b"]}}, "tags contains any of 'a', 'b'"),
        ({"containsAll": {"property": prop("samples"), "values": [1.5, 2]}},
         "samples contains all of 1.5, 2"),
        ({"range": {"property": prop("at"), "gt": "2026-07-01T00:00:00Z", "lte": "2026-08-01T00:00:00Z"}},
         "at > 2026-07-01T00:00:00Z and at <= 2026-08-01T00:00:00Z"),
        ({"range": {"property": ["createdTime"], "gte": 1000}}, "createdTime >= 1000"),
        ({"prefix": {"property": ["externalId"], "value": "a-"}}, "externalId starts with 'a-'"),
        ({"hasData": [{"type": "container", "space": "plant", "externalId": "Reading"}]},
         "has data in plant.Reading"),
        ({"and": [{"equals": {"property": prop("name")}}, {"range": {"property": prop("count")}},
                  {"or": []}]},
         "name is ? and count in a range ? and (no conditions)"),
        ({"nested": {"scope": ["a"]}}, 'custom filter {"nested":{"scope":["a"]}}'),
        ({"hasData": []}, "has data in ?"),
    ],
)  # fmt: skip
def test_summary(data, text):
    assert summary.summary(filter_json.from_filter(data, CONTAINERS), CONTAINERS) == text
