"""Container property types as text: what a user types in a form field (or a CSV cell) turned into the
typed value CDF takes, and a value turned back into the text that gives it again.

`parse_text(type, format_text(type, value)) == value` for every valid value, so a form prefilled from a
record, a filter or an export gives back exactly what it showed. The checks of the values themselves
(ranges, lengths, enum keys) are the shared rules of cdftypes.values.
"""

import json
import re

from cdftypes.values import (
    InvalidValue,
    is_number,
    max_list_size,
    normalize_scalar,
    parse_json,
    parse_timestamp,
    short,
)

INTEGER_RE = re.compile(r"^[+-]?\d+$")
# The JSON number grammar: what a float property's field accepts.
NUMBER_RE = re.compile(r"^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$")
TRUE_TEXTS = {"true"}
FALSE_TEXTS = {"false"}

TYPE_HINTS = {
    "text": "text",
    "boolean": "true or false",
    "int32": "a whole number",
    "int64": "a whole number",
    "float32": "a number",
    "float64": "a number",
    "timestamp": "a date and time with its time zone, e.g. 2026-08-01T12:00:00Z",
    "date": "a date, YYYY-MM-DD",
    "enum": "one of the listed values",
    "json": "a JSON object",
    "direct": "space:externalId of the record it points to",
}


def type_label(prop_type: dict) -> str:
    """ "float64", "text[]", "enum"."""
    return f"{prop_type['type']}[]" if prop_type.get("list") else prop_type["type"]


def parse_text(prop_type: dict, text: str, where: str = "the value"):
    """The value of a property as typed; InvalidValue says what is wrong in words meant for the user.
    A list property takes a JSON array (a form gives its items one by one to `parse_item`)."""
    if prop_type.get("list"):
        try:
            items = parse_json(text)
        except ValueError:
            items = None
        if not isinstance(items, list):
            raise InvalidValue(f"{_capital(where)} must be a JSON list such as [1, 2], not {short(text)}.")
        limit = max_list_size(prop_type)
        if len(items) > limit:
            raise InvalidValue(f"{_capital(where)} has {len(items)} items; at most {limit} are allowed.")
        return [_checked(prop_type, item, f"{where} item {index + 1}") for index, item in enumerate(items)]
    return parse_item(prop_type, text, where)


def parse_item(prop_type: dict, text: str, where: str = "the value"):
    """One (non-list) value of a property as typed in a form field."""
    kind = prop_type["type"]
    if kind == "text":
        return _checked(prop_type, text, where)
    stripped = text.strip()
    if not stripped:
        raise InvalidValue(f"{_capital(where)} is empty: enter {TYPE_HINTS[kind]}.")
    if kind == "boolean":
        lowered = stripped.lower()
        if lowered not in TRUE_TEXTS | FALSE_TEXTS:
            raise InvalidValue(f"{_capital(where)} must be true or false, not {short(stripped)}.")
        return lowered in TRUE_TEXTS
    if kind in ("int32", "int64"):
        if not INTEGER_RE.match(stripped):
            raise InvalidValue(f"{_capital(where)} must be a whole number ({kind}), not {short(stripped)}.")
        return _checked(prop_type, int(stripped), where)
    if kind in ("float32", "float64"):
        if not NUMBER_RE.match(stripped):
            raise InvalidValue(f"{_capital(where)} must be a number ({kind}), not {short(stripped)}.")
        number = json.loads(stripped)
        if not is_number(number):
            raise InvalidValue(f"{_capital(where)} is too large for a number ({kind}).")
        return _checked(prop_type, number, where)
    if kind == "timestamp":
        if parse_timestamp(stripped) is None:
            raise InvalidValue(
                f"{_capital(where)} must be a date and time such as 2026-08-01T12:00:00Z, "
                f"not {short(stripped)}."
            )
        if not re.search(r"(Z|[+-]\d{2}(:?\d{2})?)$", stripped):
            raise InvalidValue(
                f"{_capital(where)} must give its time zone, e.g. {stripped}Z for UTC or {stripped}+02:00."
            )
        return stripped
    if kind == "json":
        try:
            value = parse_json(stripped)
        except ValueError as error:
            raise InvalidValue(f"{_capital(where)} is not valid JSON: {error}.") from None
        return _checked(prop_type, value, where)
    if kind == "direct":
        return _checked(prop_type, _direct(stripped, where), where)
    return _checked(prop_type, stripped, where)  # date, enum


def _direct(text: str, where: str) -> dict:
    """ "space:externalId" (a space id has no colon) or the JSON reference."""
    if text.startswith("{"):
        try:
            return parse_json(text)
        except ValueError:
            pass
    space, colon, external_id = text.partition(":")
    if not colon or not space or not external_id:
        raise InvalidValue(
            f"{_capital(where)} must name the record it points to as space:externalId, not {short(text)}."
        )
    return {"space": space, "externalId": external_id}


def _checked(prop_type: dict, value, where: str):
    """The value itself after the shared rules (ranges, lengths, enum keys) accept it."""
    try:
        normalize_scalar(prop_type, value, where)
    except InvalidValue as error:
        raise InvalidValue(_sentence(str(error))) from None
    return value


def format_text(prop_type: dict, value) -> str:
    """The text that `parse_text` turns back into `value`."""
    if prop_type.get("list"):
        return json.dumps(value, ensure_ascii=False)
    return format_item(prop_type, value)


def format_item(prop_type: dict, value) -> str:
    kind = prop_type["type"]
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "direct" and isinstance(value, dict):
        return f"{value.get('space')}:{value.get('externalId')}"
    if kind == "json" or not isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return value


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _sentence(text: str) -> str:
    return _capital(text) if text.endswith(".") else _capital(text) + "."
