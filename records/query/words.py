"""How values and JSON types are named in the messages and summaries of filters."""

import json

from .filter_tree import MISSING, Unparsed


def describe_value(value: object, kind: str | None = None) -> str:
    """A comparison value in words: text quoted, enum keys, numbers and times as they are."""
    if isinstance(value, Unparsed) or value is MISSING:
        return "?"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value if kind in ("enum", "timestamp", "date") else f"'{value}'"
    if isinstance(value, dict) and set(value) == {"space", "externalId"}:
        return f"{value['space']}:{value['externalId']}"
    if isinstance(value, dict | list):
        return _shorten(json.dumps(value, separators=(",", ":"), ensure_ascii=False))
    return str(value)


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "an object"
