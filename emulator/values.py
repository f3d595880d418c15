"""Property values in the emulator: the shared rules of cdftypes.values, a misfit answered as CDF's 400."""

from cdftypes import values as shared
from cdftypes.values import (
    NUMERIC_TYPES,
    ORDERED_TYPES,
    PROPERTY_TYPES,
    TEXT_MAX_CHARS,
    TIMESTAMP_RE,
    InvalidValue,
    describe,
    epoch_ms,
    format_timestamp,
    from_epoch_ms,
    is_number,
    parse_timestamp,
    short,
    timestamp_to_ms,
)

from .errors import bad_request

__all__ = [
    "NUMERIC_TYPES",
    "ORDERED_TYPES",
    "PROPERTY_TYPES",
    "TEXT_MAX_CHARS",
    "TIMESTAMP_RE",
    "describe",
    "epoch_ms",
    "format_timestamp",
    "from_epoch_ms",
    "is_number",
    "normalize_scalar",
    "normalize_value",
    "parse_timestamp",
    "short",
    "timestamp_to_ms",
]


def normalize_scalar(prop_type: dict, value: object, where: str):
    try:
        return shared.normalize_scalar(prop_type, value, where)
    except InvalidValue as error:
        raise bad_request(str(error)) from None


def normalize_value(prop_type: dict, value: object, where: str):
    try:
        return shared.normalize_value(prop_type, value, where)
    except InvalidValue as error:
        raise bad_request(str(error)) from None
