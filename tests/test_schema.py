"""Property values as typed in a form or a CSV cell, and back."""

import pytest

from cdftypes.values import InvalidValue
from records.schema import format_text, parse_text

ENUM = {"type": "enum", "values": {"open": {}, "closed": {}}}


@pytest.mark.parametrize(
    ("prop_type", "text", "value"),
    [
        ({"type": "text"}, " spaced ", " spaced "),
        ({"type": "text"}, "", ""),
        ({"type": "boolean"}, "True", True),
        ({"type": "boolean"}, "false", False),
        ({"type": "int32"}, " -42 ", -42),
        ({"type": "int64"}, "9007199254740993", 9007199254740993),
        ({"type": "float64"}, "80", 80),
        ({"type": "float64"}, "80.0", 80.0),
        ({"type": "float32"}, "-1.5e3", -1500.0),
        ({"type": "timestamp"}, "2026-08-01T12:00:00+02:00", "2026-08-01T12:00:00+02:00"),
        ({"type": "date"}, "2026-02-28", "2026-02-28"),
        (ENUM, "open", "open"),
        ({"type": "json"}, '{"a": [1, 2]}', {"a": [1, 2]}),
        ({"type": "direct"}, "plant:pump:7", {"space": "plant", "externalId": "pump:7"}),
        ({"type": "direct"}, '{"space": "plant", "externalId": "p"}', {"space": "plant", "externalId": "p"}),
        ({"type": "float64", "list": True}, "[1, 2.5]", [1, 2.5]),
        ({"type": "text", "list": True}, "[]", []),
    ],
)
def test_text_becomes_the_typed_value(prop_type, text, value):
    parsed = parse_text(prop_type, text)
    assert parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize(
    ("prop_type", "value"),
    [
        ({"type": "text"}, "line\nbreak"),
        ({"type": "boolean"}, True),
        ({"type": "int64"}, -(2**63)),
        ({"type": "float64"}, 0.1),
        ({"type": "float64"}, 1e300),
        ({"type": "float64"}, 80),
        ({"type": "timestamp"}, "2026-08-01T12:00:00.123Z"),
        ({"type": "date"}, "0001-01-01"),
        (ENUM, "closed"),
        ({"type": "json"}, {"nested": {"x": None}}),
        ({"type": "direct"}, {"space": "s", "externalId": "a:b"}),
        ({"type": "int32", "list": True}, [1, 2, 3]),
        ({"type": "direct", "list": True}, [{"space": "s", "externalId": "x"}]),
    ],
)
def test_formatted_text_parses_back_to_the_same_value(prop_type, value):
    parsed = parse_text(prop_type, format_text(prop_type, value))
    assert parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize(
    ("prop_type", "text", "message"),
    [
        ({"type": "int32"}, "8x", 'must be a whole number (int32), not "8x"'),
        ({"type": "int32"}, "1.5", "must be a whole number"),
        ({"type": "int32"}, "3000000000", "out of range for int32"),
        ({"type": "float64"}, "NaN", "must be a number (float64)"),
        ({"type": "float64"}, "1e999", "too large"),
        ({"type": "float32"}, "1e39", "out of range for float32"),
        ({"type": "boolean"}, "yes", "must be true or false"),
        ({"type": "timestamp"}, "2026-08-01T12:00:00", "must give its time zone"),
        ({"type": "timestamp"}, "2026-13-01T12:00:00Z", "must be a date and time"),
        ({"type": "date"}, "2026-02-30", "a date string YYYY-MM-DD"),
        (ENUM, "ajar", "one of the enum values [closed, open]"),
        ({"type": "json"}, "{oops", "is not valid JSON"),
        ({"type": "json"}, "[1]", "must be a JSON object"),
        ({"type": "direct"}, "no-colon", "as space:externalId"),
        ({"type": "int64"}, "  ", "is empty: enter a whole number"),
        ({"type": "int32", "list": True}, "1, 2", "must be a JSON list"),
        ({"type": "int32", "list": True}, '[1, "2"]', "item 2 must be an integer"),
        ({"type": "text", "maxListSize": 1, "list": True}, '["a", "b"]', "2 items; at most 1"),
    ],
)
def test_bad_text_is_refused_with_the_reason(prop_type, text, message):
    with pytest.raises(InvalidValue) as raised:
        parse_text(prop_type, text, "temperature")
    assert message in str(raised.value)
    assert str(raised.value)[0].isupper() and str(raised.value).endswith(".")
