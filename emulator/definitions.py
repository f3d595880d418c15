"""Spaces and containers as clients define them (`POST /models/spaces`, `POST /models/containers`).

Record containers are checked fully (records-api.md §4.5, §9.2) because records are written and
read through them; containers for nodes and edges are only stored, loosely checked, so that
clients listing a project's containers get them back in a shape they can parse.
"""

import re
from collections import Counter

from .errors import ApiError, bad_request
from .values import PROPERTY_TYPES, TEXT_MAX_CHARS, normalize_value

SPACE_ID_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9_-]{0,41}[a-zA-Z0-9]?$")
RESERVED_SPACE_IDS = {"space", "cdf", "dms", "pg3", "shared", "system", "node", "edge"}
CONTAINER_ID_RE = re.compile(r"^[a-zA-Z]([a-zA-Z0-9_]{0,253}[a-zA-Z0-9])?$")
RESERVED_CONTAINER_IDS = {
    "Query", "Mutation", "Subscription", "String", "Int32", "Int64", "Int", "Float32", "Float64", "Float",
    "Timestamp", "JSONObject", "Date", "Numeric", "Boolean", "PageInfo", "File", "Sequence", "TimeSeries",
}  # fmt: skip
PROPERTY_ID_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]{0,253}[a-zA-Z0-9]?$")
RESERVED_PROPERTY_IDS = {
    "space", "externalId", "createdTime", "lastUpdatedTime", "deletedTime", "edge_id", "node_id",
    "project_id", "property_group", "seq", "tg_table_name", "extensions",
}  # fmt: skip
ENUM_KEY_RE = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,127}$")
RESERVED_ENUM_KEYS = {"true", "false", "null"}

USED_FOR = ("record", "node", "edge", "all")
REFERENCE_TYPES = {"timeseries", "file", "sequence"}  # not allowed in record containers
MAX_LIST_SIZE = 2000
MAX_ENUM_VALUES = 32
MAX_PROPERTIES = {"record": 1000, "node": 100, "edge": 100, "all": 100}
NAME_MAX_CHARS = 255
DESCRIPTION_MAX_CHARS = 1024

# constraintState is read-only; the Python SDK sends it back when a read property is reused.
RECORD_PROPERTY_KEYS = {
    "nullable", "defaultValue", "name", "description", "immutable", "autoIncrement", "constraintState"
}  # fmt: skip

# The keys a property type may carry, per kind of record property type.
TYPE_KEYS = {
    "text": {"type", "list", "maxListSize", "maxTextSize", "collation"},
    "direct": {"type", "list", "maxListSize", "container"},
    "enum": {"type", "list", "maxListSize", "values", "unknownValue"},
    "float32": {"type", "list", "maxListSize", "unit"},
    "float64": {"type", "list", "maxListSize", "unit"},
}
PRIMITIVE_TYPE_KEYS = {"type", "list", "maxListSize"}


# --- shared shape checks (also used by writes.py) -------------------------------------------


def object_list(body: object, most: int, where: str = "items") -> list[dict]:
    """`body[where]` when it is a list of 1 to `most` objects."""
    items = body.get(where) if isinstance(body, dict) else None
    if not isinstance(items, list) or not 1 <= len(items) <= most:
        raise bad_request(f"{where} must be a list of 1 to {most} objects")
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise bad_request(f"{where}[{index}] must be an object")
    return items


def check_fields(value: object, where: str, required: set[str], optional: set[str] = frozenset()) -> dict:
    """`value` when it is an object with all `required` keys and no keys beyond `optional`."""
    if not isinstance(value, dict):
        raise bad_request(f"{where} must be an object")
    missing = required - set(value)
    if missing:
        raise bad_request(f"{where} is missing {', '.join(sorted(missing))}")
    unknown = set(value) - required - optional
    if unknown:
        raise bad_request(f"{where} has unknown fields: {', '.join(sorted(unknown))}")
    return value


def check_space_id(value: object, where: str) -> str:
    if not isinstance(value, str) or not SPACE_ID_RE.match(value):
        raise bad_request(
            f"{where} must be 1-43 characters of letters, digits, '_' and '-', starting with a letter, "
            f"got {value!r}"
        )
    return value


def check_container_reference(value: object, where: str) -> dict:
    """`value` when it is {"type": "container", "space": ..., "externalId": ...}."""
    check_fields(value, where, {"type", "space", "externalId"})
    if value["type"] != "container" or not all(isinstance(value[k], str) for k in ("space", "externalId")):
        raise bad_request(f'{where} must be {{"type": "container", "space": ..., "externalId": ...}}')
    return dict(value)


def located(where: str, error: ApiError) -> ApiError:
    """The same error with its message prefixed by where it happened, e.g. "items[3].space: ..."."""
    return ApiError(error.code, f"{where}: {error.message}", error.headers, **error.extra)


def _optional_text(value: object, where: str, most: int) -> str | None:
    if value is not None and (not isinstance(value, str) or len(value) > most):
        raise bad_request(f"{where} must be a string of at most {most} characters")
    return value


def _duplicates(keys: list) -> list:
    return [key for key, count in Counter(keys).items() if count > 1]


# --- spaces -------------------------------------------------------------------------------


def validate_space_items(body: object) -> list[dict]:
    """The spaces of an apply request, as {"space", "name", "description"} (None when not given)."""
    spaces = []
    for index, item in enumerate(object_list(body, most=100)):
        where = f"items[{index}]"
        check_fields(item, where, {"space"}, {"name", "description"})
        space = check_space_id(item["space"], f"{where}.space")
        if space in RESERVED_SPACE_IDS:
            reserved = ", ".join(sorted(RESERVED_SPACE_IDS))
            raise bad_request(f"{where}.space {space!r} is reserved ({reserved})")
        spaces.append(
            {
                "space": space,
                "name": _optional_text(item.get("name"), f"{where}.name", NAME_MAX_CHARS),
                "description": _optional_text(
                    item.get("description"), f"{where}.description", DESCRIPTION_MAX_CHARS
                ),
            }
        )
    repeated = _duplicates([space["space"] for space in spaces])
    if repeated:
        raise bad_request(
            f"Spaces given more than once: {', '.join(repeated)}",
            duplicated=[{"space": space} for space in repeated],
        )
    return spaces


# --- containers ---------------------------------------------------------------------------


def validate_container_items(body: object, existing_spaces: set[str]) -> list[dict]:
    """The containers of an apply request in their read shape, less createdTime and lastUpdatedTime."""
    containers = [
        _container(item, f"items[{index}]", existing_spaces)
        for index, item in enumerate(object_list(body, most=100))
    ]
    repeated = _duplicates([(c["space"], c["externalId"]) for c in containers])
    if repeated:
        raise bad_request(
            f"Containers given more than once: {', '.join(f'{s}:{x}' for s, x in repeated)}",
            duplicated=[{"space": s, "externalId": x} for s, x in repeated],
        )
    return containers


def container_read_shape(definition: dict, created_time: int, last_updated_time: int) -> dict:
    return {**definition, "createdTime": created_time, "lastUpdatedTime": last_updated_time}


def _container(item: dict, where: str, existing_spaces: set[str]) -> dict:
    check_fields(
        item,
        where,
        {"space", "externalId", "properties"},
        {"name", "description", "usedFor", "constraints", "indexes"},
    )
    space = check_space_id(item["space"], f"{where}.space")
    external_id = item["externalId"]
    if not isinstance(external_id, str) or not CONTAINER_ID_RE.match(external_id):
        raise bad_request(
            f"{where}.externalId must be 1-255 letters, digits and '_' (no '-'), starting with a letter "
            f"and not ending with '_', got {external_id!r}"
        )
    if external_id in RESERVED_CONTAINER_IDS:
        raise bad_request(f"{where}.externalId {external_id!r} is a reserved container externalId")
    used_for = item.get("usedFor", "node")
    if used_for not in USED_FOR:
        raise bad_request(f"{where}.usedFor must be one of {', '.join(USED_FOR)}, got {used_for!r}")
    if space not in existing_spaces:
        raise bad_request(f"{where}.space: space {space!r} does not exist", missing=[{"space": space}])

    definition = {"space": space, "externalId": external_id}
    for field, most in (("name", NAME_MAX_CHARS), ("description", DESCRIPTION_MAX_CHARS)):
        if item.get(field) is not None:
            definition[field] = _optional_text(item[field], f"{where}.{field}", most)
    definition["usedFor"] = used_for

    properties = item["properties"]
    most = MAX_PROPERTIES[used_for]
    if not isinstance(properties, dict) or not 1 <= len(properties) <= most:
        raise bad_request(f"{where}.properties must be an object with 1 to {most} properties")
    check = _record_property if used_for == "record" else _instance_property
    definition["properties"] = {}
    for prop, spec in properties.items():
        prop_where = f"{where}.properties.{prop}"
        _check_property_id(prop, prop_where)
        definition["properties"][prop] = check(spec, prop_where)

    for field in ("constraints", "indexes"):
        value = item.get(field, {})
        if not isinstance(value, dict) or not all(isinstance(spec, dict) for spec in value.values()):
            raise bad_request(f"{where}.{field} must be an object of {field} by identifier")
        if value and used_for == "record":
            raise bad_request(f"{where}.{field}: record containers support no {field}")
        # Read shapes give each one a state, which clients such as the Python SDK require.
        definition[field] = {name: {**spec, "state": "current"} for name, spec in value.items()}
    definition["isGlobal"] = False
    return definition


def _check_property_id(prop: str, where: str) -> None:
    if not PROPERTY_ID_RE.match(prop):
        raise bad_request(
            f"{where}: a property id must be 1-255 letters, digits, '_' and '-', starting and ending "
            "with a letter or digit"
        )
    if prop in RESERVED_PROPERTY_IDS:
        raise bad_request(f"{where}: {prop!r} is a reserved property id")


def _record_property(spec: object, where: str) -> dict:
    check_fields(spec, where, {"type"}, RECORD_PROPERTY_KEYS)
    prop_type = _record_type(spec["type"], f"{where}.type")
    nullable = spec.get("nullable", True)
    if not isinstance(nullable, bool):
        raise bad_request(f"{where}.nullable must be true or false")
    # Clients such as the Python SDK always send these two; only `false` makes sense for records.
    for flag in ("immutable", "autoIncrement"):
        if spec.get(flag, False) is not False:
            raise bad_request(f"{where}.{flag} must be false: record containers do not support {flag}")
    definition = {"type": prop_type, "nullable": nullable}
    default = spec.get("defaultValue")
    if default is not None:
        if prop_type["list"]:
            raise bad_request(f"{where}.defaultValue: list properties cannot have a default value")
        definition["defaultValue"] = normalize_value(prop_type, default, f"{where}.defaultValue")
    for field, most in (("name", NAME_MAX_CHARS), ("description", DESCRIPTION_MAX_CHARS)):
        if spec.get(field) is not None:
            definition[field] = _optional_text(spec[field], f"{where}.{field}", most)
    definition.update(immutable=False, autoIncrement=False, constraintState={})
    return definition


def _record_type(spec: object, where: str) -> dict:
    kind = spec.get("type") if isinstance(spec, dict) else None
    if isinstance(kind, str) and kind in REFERENCE_TYPES:
        raise bad_request(f"{where}.type {kind!r} is not allowed in record containers")
    if not isinstance(kind, str) or kind not in PROPERTY_TYPES:
        raise bad_request(f"{where}.type must be one of {', '.join(sorted(PROPERTY_TYPES))}, got {kind!r}")
    if "unit" in spec and kind not in ("float32", "float64"):
        raise bad_request(f"{where}.unit is only allowed on float32 and float64 properties")
    check_fields(spec, where, {"type"}, TYPE_KEYS.get(kind, PRIMITIVE_TYPE_KEYS))
    is_list = spec.get("list", False)
    if not isinstance(is_list, bool):
        raise bad_request(f"{where}.list must be true or false")
    prop_type = {"type": kind, "list": is_list}
    if "maxListSize" in spec:
        if not is_list:
            raise bad_request(f"{where}.maxListSize is only allowed with list: true")
        prop_type["maxListSize"] = _positive_int(spec["maxListSize"], f"{where}.maxListSize", MAX_LIST_SIZE)
    if "maxTextSize" in spec:
        prop_type["maxTextSize"] = _positive_int(spec["maxTextSize"], f"{where}.maxTextSize", TEXT_MAX_CHARS)
    if "collation" in spec:
        if not isinstance(spec["collation"], str):
            raise bad_request(f"{where}.collation must be a string")
        prop_type["collation"] = spec["collation"]
    if "unit" in spec:
        prop_type["unit"] = _unit(spec["unit"], f"{where}.unit")
    if "container" in spec:
        # A hint that records do not enforce; kept so that clients read back what they wrote.
        prop_type["container"] = check_container_reference(spec["container"], f"{where}.container")
    if kind == "enum":
        prop_type.update(_enum_values(spec, where))
    return prop_type


def _positive_int(value: object, where: str, most: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= most:
        raise bad_request(f"{where} must be an integer from 1 to {most}, got {value!r}")
    return value


def _unit(spec: object, where: str) -> dict:
    check_fields(spec, where, {"externalId"}, {"sourceUnit"})
    for field in ("externalId", "sourceUnit"):
        if field in spec and (not isinstance(spec[field], str) or not spec[field]):
            raise bad_request(f"{where}.{field} must be a non-empty string")
    return dict(spec)


def _enum_values(spec: dict, where: str) -> dict:
    values = spec.get("values")
    if not isinstance(values, dict) or not 1 <= len(values) <= MAX_ENUM_VALUES:
        raise bad_request(f"{where}.values must be an object with 1 to {MAX_ENUM_VALUES} enum values")
    checked = {}
    for key, about in values.items():
        value_where = f"{where}.values.{key}"
        if not ENUM_KEY_RE.match(key) or key in RESERVED_ENUM_KEYS:
            raise bad_request(
                f"{value_where}: an enum value must be 1-128 letters, digits and '_', not starting with a "
                "digit, and not true, false or null"
            )
        check_fields(about, value_where, set(), {"name", "description"})
        checked[key] = {
            field: _optional_text(about[field], f"{value_where}.{field}", most)
            for field, most in (("name", NAME_MAX_CHARS), ("description", DESCRIPTION_MAX_CHARS))
            if about.get(field) is not None
        }
    enum = {"values": checked}
    if spec.get("unknownValue") is not None:
        if not isinstance(spec["unknownValue"], str) or spec["unknownValue"] not in checked:
            raise bad_request(
                f"{where}.unknownValue must be one of the enum values, got {spec['unknownValue']!r}"
            )
        enum["unknownValue"] = spec["unknownValue"]
    return enum


def _instance_property(spec: object, where: str) -> dict:
    """A property of a node or edge container: stored as given, with the read shape's defaults."""
    if not isinstance(spec, dict) or not isinstance(spec.get("type"), dict):
        raise bad_request(f'{where} must be an object with a type, e.g. {{"type": {{"type": "text"}}}}')
    kind = spec["type"].get("type")
    if not isinstance(kind, str) or kind not in PROPERTY_TYPES | REFERENCE_TYPES:
        allowed = ", ".join(sorted(PROPERTY_TYPES | REFERENCE_TYPES))
        raise bad_request(f"{where}.type.type must be one of {allowed}, got {kind!r}")
    prop_type = dict(spec["type"]) if kind == "enum" else {"list": False, **spec["type"]}
    return {
        "nullable": True,
        "immutable": False,
        "autoIncrement": False,
        "constraintState": {},
        **spec,
        "type": prop_type,
    }
