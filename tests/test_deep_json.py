"""Security: JSON nested too deep for Python (RecursionError) is refused as invalid where it was typed, with
the usual message and never a server error: the record form, the editor's raw JSON, the query builder and
bulk-edit values (all through records.schema) and a bulk edit's view."""

from urllib.parse import quote

import pytest
from django.http import QueryDict

from cdftypes.values import JSON_MAX_DEPTH, InvalidValue, json_depth, normalize_value, parse_json
from emulator.demo import CONTAINERS
from records import schema
from records.browse import browsing
from records.edit import record_form
from records.query import builder
from records.query.filter_tree import FilterError

CONTAINERS_LIST = CONTAINERS["items"]
TOO_DEEP_TO_PARSE = "[" * 100_000
# Parses, but checking or showing it recursively would exhaust Python's stack.
TOO_DEEP_TO_CHECK = '{"a":' * 900 + "1" + "}" * 900
TOO_DEEP = f"more than {JSON_MAX_DEPTH} levels deep"


def test_parse_json_counts_deep_nesting_as_invalid():
    just_too_deep = "[" * (JSON_MAX_DEPTH + 1) + "]" * (JSON_MAX_DEPTH + 1)
    for text in (TOO_DEEP_TO_PARSE, TOO_DEEP_TO_CHECK, just_too_deep):
        with pytest.raises(ValueError, match=TOO_DEEP):
            parse_json(text)
    assert json_depth(parse_json("[" * JSON_MAX_DEPTH + "]" * JSON_MAX_DEPTH)) == JSON_MAX_DEPTH
    with pytest.raises(ValueError, match="NaN is not a JSON number"):
        parse_json("[NaN]")
    assert parse_json(b'{"a": [1]}') == {"a": [1]}


@pytest.mark.parametrize(
    ("prop_type", "text", "message"),
    [
        ({"type": "json"}, TOO_DEEP_TO_PARSE, f"is not valid JSON: arrays and objects are nested {TOO_DEEP}"),
        ({"type": "json"}, TOO_DEEP_TO_CHECK, TOO_DEEP),
        ({"type": "json", "list": True}, f"[{TOO_DEEP_TO_CHECK}]", "must be a JSON list"),
        ({"type": "text", "list": True}, TOO_DEEP_TO_PARSE, "must be a JSON list"),
    ],
)
def test_deep_json_in_a_typed_field_is_refused_with_the_reason(prop_type, text, message):
    with pytest.raises(InvalidValue, match=message):
        schema.parse_text(prop_type, text)


def test_a_deep_reference_is_not_a_server_error():
    with pytest.raises(InvalidValue):
        schema.parse_text({"type": "direct"}, "{" + TOO_DEEP_TO_PARSE)


def test_a_json_property_refuses_a_value_nested_too_deep_however_it_was_read():
    value = parse_json('{"a":' * (JSON_MAX_DEPTH - 1) + "[]" + "}" * (JSON_MAX_DEPTH - 1))
    assert normalize_value({"type": "json"}, value, "p") == value
    for _ in range(900):
        value = {"a": value}
    with pytest.raises(InvalidValue, match=f"Value for p is nested {TOO_DEEP}"):
        normalize_value({"type": "json"}, value, "p")


def test_the_editors_raw_json_refuses_deep_nesting():
    assert "not valid JSON" in record_form.check_sources_json(TOO_DEEP_TO_PARSE, CONTAINERS_LIST)[1]
    deep = (
        '[{"source": {"type": "container", "space": "plant", "externalId": "Equipment"},'
        f' "properties": {{"name": "X", "kind": "FAN", "specs": {TOO_DEEP_TO_CHECK}}}}}]'
    )
    assert TOO_DEEP in record_form.check_sources_json(deep, CONTAINERS_LIST)[1]


def test_a_deep_condition_kept_as_json_in_the_builder_is_refused():
    params = QueryDict(mutable=True)
    params.update({"q-kind": "raw", "q-json": TOO_DEEP_TO_PARSE})
    with pytest.raises(FilterError, match="not a filter"):
        builder.read_form(params, CONTAINERS_LIST)


def test_a_bulk_edit_of_selected_records_leaves_a_deep_filter_to_be_reported():
    params = QueryDict(f"filter={quote(TOO_DEEP_TO_PARSE)}")
    assert browsing.with_selection(params, [("plant", "eq-001")]) == params
