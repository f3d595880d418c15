"""Filter values as the builder's fields show them: one line of text per value, read back by type."""

import json

from cdftypes.values import (
    InvalidValue,
)

from ..schema import INTEGER_RE, format_item, parse_item
from .filter_tree import MISSING, TIME_PROPERTIES, TOP_LEVEL_PROPERTIES, Unparsed


def item_type(path: tuple[str, ...], types: dict) -> dict | str | None:
    """What a comparison value of a property is: the name of a top-level property, the type of one
    item of a container property, or None when the property is unknown."""
    if len(path) == 1:
        return path[0] if path[0] in TOP_LEVEL_PROPERTIES else None
    prop_type = types.get(tuple(path))
    return prop_type and {key: item for key, item in prop_type.items() if key != "list"}


def value_text(value: object, value_type: dict | str | None) -> str:
    """The text of a field showing a comparison value ("" when there is none yet)."""
    if value is MISSING:
        return ""
    if isinstance(value, Unparsed):
        return value.text
    if isinstance(value_type, dict):
        return format_item(value_type, value)
    return value if isinstance(value, str) else json.dumps(value)


def parse_value(text: str, value_type: dict | str | None, where: str = "the value"):
    """The comparison value of a field's text: MISSING when blank, Unparsed when it does not fit."""
    if not text.strip():
        return MISSING
    if value_type in TIME_PROPERTIES and INTEGER_RE.match(text.strip()):
        return int(text)
    if not isinstance(value_type, dict):
        return text  # space, externalId, a time as text (checked by validate), an unknown property
    try:
        return parse_item(value_type, text, where)
    except InvalidValue as error:
        return Unparsed(text, str(error))
