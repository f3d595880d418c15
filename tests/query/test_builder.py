"""The query builder's form: any filter survives JSON -> builder -> form -> builder -> JSON -> URL
unchanged, edits do what their buttons say, and bad input is named where it belongs."""

import json
from html.parser import HTMLParser

import pytest
from django.http import QueryDict
from django.template.loader import render_to_string
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from records.query import builder, filter_json, filter_tree, validation
from records.query.filter_tree import MISSING, Clause, FilterError, Group, Raw, Unparsed
from tests.query.filter_trees import CONTAINERS, filters

EQUIPMENT = ["plant", "Equipment"]
READING = ["plant", "Reading"]


class FormFields(HTMLParser):
    """The fields a browser submits for a form: named inputs (checked boxes only), selected options,
    textareas; not buttons."""

    def __init__(self):
        super().__init__()
        self.fields = QueryDict(mutable=True)
        self.select = None
        self.option = None
        self.textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and "name" in attrs:
            if attrs.get("type") != "checkbox" or "checked" in attrs:
                self.fields.appendlist(attrs["name"], attrs.get("value", ""))
        elif tag == "select":
            self.select = {"name": attrs["name"], "first": None, "chosen": None}
        elif tag == "option" and self.select is not None:
            value = attrs.get("value", "")
            self.select["first"] = value if self.select["first"] is None else self.select["first"]
            if "selected" in attrs:
                self.select["chosen"] = value
        elif tag == "textarea":
            self.textarea = [attrs["name"], ""]

    def handle_data(self, data):
        if self.textarea:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "select" and self.select:
            chosen = self.select["chosen"] if self.select["chosen"] is not None else self.select["first"]
            self.fields.appendlist(self.select["name"], chosen or "")
            self.select = None
        elif tag == "textarea" and self.textarea:
            # A browser drops the one newline that follows <textarea>.
            self.fields.appendlist(self.textarea[0], self.textarea[1].removeprefix("\n"))
            self.textarea = None


def rendered(tree, errors=None) -> str:
    data = filter_json.to_filter(tree)
    return render_to_string(
        "records/builder.html",
        {
            "builder": builder.draw(tree, CONTAINERS, errors or {}),
            "properties": builder.property_choices(CONTAINERS),
            "state": {"errors": {}},
            "default_url": "/streams/equipment/",
            "filter_json": json.dumps(data, indent=2, ensure_ascii=False) if data is not None else "",
        },
    )


def submitted(tree, **more) -> QueryDict:
    parser = FormFields()
    parser.feed(rendered(tree))
    fields = parser.fields
    for name, value in more.items():
        fields[name] = value
    return fields


def exact(data) -> str:
    """JSON text that tells 1 from 1.0 and true, with keys sorted (a range's bounds come back lower
    bound first)."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(filters())
def test_every_filter_survives_the_builder_its_form_its_json_view_and_the_url(data):
    tree = filter_json.from_filter(data, CONTAINERS)
    assert json.dumps(filter_json.to_filter(tree)) == json.dumps(data)  # JSON -> builder -> JSON, as written
    form = submitted(tree)
    from_form = builder.read_form(form, CONTAINERS)
    assert from_form == tree
    assert exact(filter_json.to_filter(from_form)) == exact(data)
    assert filter_json.from_text(form["filter_json"], CONTAINERS, "This") == tree
    assert filter_json.from_param(filter_json.to_param(from_form), CONTAINERS) == tree


@settings(max_examples=200, deadline=None)
@given(filters(raw=False))
def test_the_builder_draws_every_valid_leaf_as_a_condition(data):
    tree = filter_json.from_filter(data, CONTAINERS)
    assert not _raw_nodes(tree), data
    assert validation.validate(tree, CONTAINERS) == {}


def _raw_nodes(node) -> list:
    if isinstance(node, Group):
        return [raw for child in node.children for raw in _raw_nodes(child)]
    return [node] if isinstance(node, Raw) else []


def equals(container, prop, value):
    return {"equals": {"property": [*container, prop], "value": value}}


def read(fields) -> filter_tree.Node:
    params = QueryDict(mutable=True)
    for name, value in fields.lists() if isinstance(fields, QueryDict) else fields.items():
        params.setlist(name, value if isinstance(value, list) else [value])
    return builder.read_form(params, CONTAINERS)


# --- edits ---------------------------------------------------------------------------------


def test_buttons_add_remove_negate_and_move():
    tree = builder.apply(filter_tree.EMPTY, "add-clause:")
    tree = builder.apply(tree, "add-group:")
    tree = builder.apply(tree, "add-clause:1")
    tree = builder.apply(tree, "not:1")
    assert tree == Group("and", (Clause("equals"), Group("and", (Clause("equals"),), nots=1)))
    tree = builder.apply(tree, "out:1.0")
    assert tree == Group("and", (Clause("equals"), Group("and", (), nots=1), Clause("equals")))
    tree = builder.apply(tree, "into:2")
    assert tree.children[1].children == (Clause("equals"),)
    tree = builder.apply(tree, "up:1")
    assert isinstance(tree.children[0], Group)
    tree = builder.apply(tree, "down:0")
    assert isinstance(tree.children[1], Group)
    tree = builder.apply(tree, "remove:1")
    assert tree == Group("and", (Clause("equals"),))
    assert builder.apply(tree, "clear:") == filter_tree.EMPTY


def test_values_are_added_and_removed():
    tree = Clause("in", (*EQUIPMENT, "site"), ["Bergen"])
    tree = builder.apply(tree, "add-value:")
    assert tree.value == ["Bergen", MISSING]
    assert builder.apply(tree, "remove-value::0").value == [MISSING]
    with pytest.raises(FilterError, match="no such value"):
        builder.apply(tree, "remove-value::7")


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ("up:0", "outside the group"),
        ("into:0", "no group just above"),
        ("out:0", "whole filter cannot be moved"),
        ("remove:4", "no condition at '4'"),
        ("explode:0", "Unknown change 'explode:0'"),
    ],
)
def test_edits_that_cannot_be_made_say_why(action, message):
    tree = Group("and", (Clause("matchAll"),))
    with pytest.raises(FilterError, match=message):
        builder.apply(tree, action)


def test_a_filter_cannot_grow_beyond_the_apis_limits():
    tree = Group("or", tuple(Clause("matchAll") for _ in range(99)))
    with pytest.raises(FilterError, match="101 nodes; the API allows at most 100"):
        builder.apply(tree, "add-clause:")
    deep = Clause("matchAll")
    for _ in range(9):
        deep = Group("and", (deep,))
    assert filter_tree.depth(deep) == 10
    with pytest.raises(FilterError, match="nested 11 levels deep"):
        builder.apply(deep, "not:" + ".".join(["0"] * 9))


def test_a_new_property_keeps_its_operator_when_it_fits_and_takes_one_that_does_otherwise():
    form = submitted(Clause("prefix", (*EQUIPMENT, "name"), "P-"))
    form["q-property"] = "plant.Equipment.site"
    assert read(form) == Clause("prefix", (*EQUIPMENT, "site"), "P-")
    form["q-property"] = "plant.Equipment.serialNumber"
    assert read(form).operator == "range"  # an int64 has no prefix
    form["q-property"] = "plant.Equipment.tags"
    assert read(form) == Clause("containsAny", (*EQUIPMENT, "tags"), ["P-"])


def test_a_new_operator_takes_over_the_value_typed_for_the_old_one():
    form = submitted(Clause("equals", (*READING, "rpm"), 1500))
    form["q-operator"] = "in"
    assert read(form).value == [1500]
    form["q-operator"] = "range"
    assert read(form).value == {"gte": 1500}


# --- what the user typed ---------------------------------------------------------------------


def test_a_value_that_does_not_fit_is_kept_as_typed_with_its_reason():
    form = submitted(Clause("equals", (*READING, "rpm"), MISSING))
    form["value:q-value"] = "15OO"
    tree = read(form)
    assert tree.value == Unparsed("15OO", 'Plant.Reading.rpm must be a whole number (int32), not "15OO".')
    assert validation.validate(tree, CONTAINERS) == {"": [tree.value.problem]}
    assert 'value="15OO"' in rendered(tree)  # drawn again as typed, never lost


def test_messages_stand_next_to_their_condition():
    tree = Group(
        "and", (Clause("matchAll"), Clause("range", (*READING, "temperature"), {"gt": 90, "lt": 10}))
    )
    html = rendered(tree, validation.validate(tree, CONTAINERS))
    assert 'id="q.1-errors"' in html and "is empty; no record can match" in html
    assert 'aria-describedby="q.1-errors"' in html


def test_direct_relations_are_typed_as_space_and_external_id():
    form = submitted(Clause("equals", (*READING, "equipment"), MISSING))
    form["space:q-value"], form["xid:q-value"] = "plant", "eq:007"
    assert read(form).value == {"space": "plant", "externalId": "eq:007"}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"q-kind": "gadget"}, "unknown kind 'gadget'"),
        ({"q-kind": "group", "q-op": "xor"}, "and or or, not 'xor'"),
        ({"q-kind": "clause", "q-nots": "-1"}, "bad negation count"),
        ({"q-kind": "clause", "q-operator": "like"}, "Unknown operator 'like'"),
        ({"q-kind": "clause", "q-operator": "range", "q-lower": "between"}, "bounds are >, >=, < and <="),
        ({"q-kind": "clause", "q-operator": "hasData", "q-containers": "nodot"}, "space.externalId"),
        ({"q-kind": "raw", "q-json": "[1]"}, "not a filter"),
    ],
)
def test_tampered_fields_are_refused_with_a_message(fields, message):
    with pytest.raises(FilterError, match=message):
        read(fields)


def test_deeply_nested_tampered_fields_stop_at_the_depth_limit():
    fields = {"q" + ".0" * level + "-kind": "group" for level in range(30)}
    fields |= {"q" + ".0" * level + "-op": "and" for level in range(30)}
    with pytest.raises(FilterError, match="deeper than 10 levels"):
        read(fields)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"equals": ', "This is not valid JSON"),
        ('{"and": [], "or": []}', "exactly one key, got 2 keys"),
        ('{"range": {"property": ["x"], "gt": NaN}}', "NaN is not a JSON number"),
    ],
)
def test_the_json_view_names_what_is_wrong(text, message):
    with pytest.raises(FilterError, match=message):
        filter_json.from_text(text, CONTAINERS, "This")


@given(st.text(max_size=40))
def test_any_text_in_the_json_view_gives_a_tree_or_a_message(text):
    try:
        filter_json.from_text(text, CONTAINERS, "This")
    except FilterError as error:
        assert str(error)


@pytest.mark.parametrize(
    ("clause", "message"),
    [
        (
            Clause("in", (*EQUIPMENT, "site"), ["Bergen", MISSING]),
            "value 2 is empty: enter a value or remove it.",
        ),
        (Clause("hasData", value=[("plant", "Equipment")] * 2), "has data: each container is named once."),
        (Clause("range", (*READING, "rpm"), {"gte": MISSING}), "rpm >= bound is empty"),
    ],
)
def test_blank_fields_and_repeated_containers_are_named(clause, message):
    [problems] = validation.validate(clause, CONTAINERS).values()
    assert any(message in problem for problem in problems), problems
