"""What is wrong with a filter tree, in words per node: missing parts, operators a property's type does
not have, values of the wrong type, empty ranges; and which node an error of the records API names."""

import re

from cdftypes.values import (
    NUMERIC_TYPES,
    ORDERED_TYPES,
    TIMESTAMP_RE,
    InvalidValue,
    epoch_ms,
    is_number,
    normalize_scalar,
    parse_timestamp,
)

from .edits import node_at
from .filter_json import FilterReader
from .filter_tree import (
    EMPTY,
    MAX_HAS_DATA,
    MAX_PREFIX_CHARS,
    MAX_VALUES,
    MISSING,
    MULTI_VALUE_OPERATORS,
    OPERATORS,
    PROPERTYLESS_OPERATORS,
    SYMBOLS,
    TIME_PROPERTIES,
    TOP_LEVEL_PROPERTIES,
    UNSUPPORTED,
    Clause,
    FilterError,
    Group,
    Node,
    Raw,
    Unparsed,
    property_label,
)
from .words import describe_value


def operators_for(prop_type: dict | str | None) -> list[str]:
    """The leaves that fit a property (records-api.md §8.2 and GF's operator table): `prop_type` is a
    container property's type dict or the name of a top-level property; None (no property) gives the
    leaves that take none."""
    if prop_type is None:
        return list(PROPERTYLESS_OPERATORS)
    if prop_type in ("space", "externalId"):
        return ["equals", "in", "prefix"]
    if prop_type in TIME_PROPERTIES:
        return ["range", "equals", "in"]
    kind = prop_type["type"]
    if kind == "json":
        return ["exists"]
    if prop_type.get("list"):
        return ["containsAny", "containsAll", "exists"]
    if kind in ORDERED_TYPES:
        return ["range", "equals", "in", "exists"]
    if kind == "text":
        return ["equals", "in", "prefix", "exists"]
    if kind == "boolean":
        return ["equals", "exists"]
    return ["equals", "in", "exists"]  # enum, direct


def validate(tree: Node, containers: list[dict]) -> dict[str, list[str]]:
    """What is wrong with each node before the filter is sent: {path: [messages]}, only paths with
    problems. The empty tree is fine (no filter)."""
    errors: dict[str, list[str]] = {}
    if tree != EMPTY:
        _validate(tree, "", FilterReader(containers), errors)
    return errors


def _validate(node: Node, path: str, reader: "FilterReader", errors: dict) -> None:
    if isinstance(node, Group):
        problems = [] if node.children else [f"This {node.op} group is empty: add a condition or remove it."]
        for index, child in enumerate(node.children):
            _validate(child, f"{path}.{index}" if path else str(index), reader, errors)
    elif isinstance(node, Raw):
        # A leaf kept as written is still checked as a clause when it is one (say, a value of the
        # wrong type), so the message stands next to it before anything is sent.
        [(name, body)] = node.filter.items()
        clause = reader.clause(name, body, drawable_only=False)
        problems = _leaf_problems(clause, reader) if clause else _raw_problems(node.filter, reader)
    else:
        problems = _leaf_problems(node, reader)
    if problems:
        errors[path] = problems


def _leaf_problems(clause: Clause, reader: "FilterReader") -> list[str]:
    if clause.operator == "matchAll":
        return []
    if clause.operator == "hasData":
        return _has_data_problems(clause.value, reader.containers)
    return _clause_problems(clause, reader.types)


def _raw_problems(data: dict, reader: "FilterReader") -> list[str]:
    [(name, body)] = data.items()
    if name in UNSUPPORTED:
        return [f"The {name} filter is not supported for records."]
    if name not in OPERATORS:
        return [f"Unknown filter {name!r}: the records API has {', '.join(OPERATORS)}, and, or and not."]
    path = body.get("property") if isinstance(body, dict) else None
    if isinstance(path, list) and not reader.is_property(path):
        label = ".".join(map(str, path))
        if len(path) == 3:
            return [f"{label}: unknown property; it is not in any of the known containers."]
        return [
            f"{label}: not a property; name a container property as [space, container, property] or one "
            f"of {', '.join(TOP_LEVEL_PROPERTIES)}."
        ]
    return []  # the API judges the rest


def _has_data_problems(refs: list, known: set) -> list[str]:
    if not refs:
        return ["has data: choose at least one container."]
    problems = [
        f"has data: unknown container {space}.{xid}." for space, xid in refs if (space, xid) not in known
    ]
    if len(set(refs)) != len(refs):
        problems.append("has data: each container is named once.")
    if len(refs) > MAX_HAS_DATA:
        problems.append(
            f"has data: choose at most {MAX_HAS_DATA} containers (the API's limit); {len(refs)} chosen."
        )
    return problems


def _clause_problems(clause: Clause, types: dict) -> list[str]:
    if not clause.property:
        return [f"{clause.operator}: choose a property."]
    label = property_label(clause.property)
    if len(clause.property) == 1:
        prop_type = clause.property[0]
        type_label = "top-level property"
    else:
        prop_type = types.get(clause.property)
        if prop_type is None:
            return [f"{label}: unknown property; it is not in any of the known containers."]
        type_label = f"{prop_type['type']}{'[]' if prop_type.get('list') else ''} property"
    allowed = operators_for(prop_type)
    if clause.operator not in allowed:
        return [f"{label}: {clause.operator} cannot be used on this {type_label}; use {', '.join(allowed)}."]
    if clause.operator == "exists":
        return []
    if clause.operator == "range":
        return _range_problems(clause.value, prop_type, label)
    if clause.operator in MULTI_VALUE_OPERATORS:
        values = clause.value
        if values is MISSING or values == []:
            return [f"{label}: {clause.operator} needs at least one value."]
        problems = [
            problem
            for index, value in enumerate(values)
            if (problem := _value_problem(value, prop_type, f"{label} value {index + 1}"))
        ]
        if len(values) > MAX_VALUES:
            problems.append(
                f"{label}: {clause.operator} takes at most {MAX_VALUES} values (the API's limit); "
                f"{len(values)} given."
            )
        return problems
    if clause.value is MISSING:
        return [f"{label}: enter a value."]
    if clause.operator == "prefix":
        value = clause.value
        if not isinstance(value, str) or not 1 <= len(value) <= MAX_PREFIX_CHARS:
            return [f"{label}: the prefix must be text of 1 to {MAX_PREFIX_CHARS} characters."]
        return []
    problem = _value_problem(clause.value, prop_type, label)
    return [problem] if problem else []


def _range_problems(bounds: dict, prop_type: dict | str, label: str) -> list[str]:
    if not bounds:
        return [f"{label}: give at least one bound (>, >=, < or <=)."]
    if "gt" in bounds and "gte" in bounds:
        return [f"{label}: give one lower bound, > or >=, not both."]
    if "lt" in bounds and "lte" in bounds:
        return [f"{label}: give one upper bound, < or <=, not both."]
    problems = []
    comparable = {}
    for bound, value in bounds.items():
        if isinstance(value, Unparsed | dict) or value is MISSING:
            problem = _value_problem(value, prop_type, f"{label} {SYMBOLS[bound]} bound")
        elif isinstance(prop_type, dict) and prop_type["type"] in NUMERIC_TYPES:
            # A bound between two integers is fine for an integer property.
            problem = None if is_number(value) else f"{label} {SYMBOLS[bound]} bound must be a number."
        else:
            problem = _value_problem(value, prop_type, f"{label} {SYMBOLS[bound]} bound")
        if problem:
            problems.append(problem)
        else:
            comparable[bound] = _comparable(value, prop_type)
    low_bound = next((b for b in ("gt", "gte") if b in comparable), None)
    high_bound = next((b for b in ("lt", "lte") if b in comparable), None)
    if low_bound and high_bound:
        low, high = comparable[low_bound], comparable[high_bound]
        if low > high or (low == high and (low_bound == "gt" or high_bound == "lt")):
            problems.append(
                f"{label}: the range {SYMBOLS[low_bound]} {describe_value(bounds[low_bound])} and "
                f"{SYMBOLS[high_bound]} {describe_value(bounds[high_bound])} is empty; no record can match."
            )
    return problems


def _comparable(value, prop_type):
    """A form of a (valid) bound that compares in the property's order."""
    if prop_type in TIME_PROPERTIES and not is_number(value):
        return epoch_ms(parse_timestamp(value))
    if isinstance(prop_type, dict) and prop_type["type"] == "timestamp":
        return parse_timestamp(value)
    return value


def _value_problem(value: object, prop_type: dict | str, label: str) -> str | None:
    """What is wrong with one comparison value for a property, or None."""
    if isinstance(value, Unparsed):
        return value.problem
    if value is MISSING:
        return f"{label} is empty: enter a value or remove it."
    if isinstance(value, dict) and len(value) == 1 and ("parameter" in value or "property" in value):
        kind = "parameters" if "parameter" in value else "property references"
        return f"{label}: records filters compare with literal values; {kind} are not supported."
    if prop_type in TIME_PROPERTIES:
        if isinstance(value, int) and not isinstance(value, bool):
            return None
        if _has_zone(value):
            return None
        return (
            f"{label} must be epoch milliseconds or a timestamp with its time zone such as "
            f"2026-08-01T00:00:00Z, not {describe_value(value)}."
        )
    if isinstance(prop_type, str):  # space, externalId
        if isinstance(value, str) and value:
            return None
        return f"{label} must be non-empty text, not {describe_value(value)}."
    try:
        normalize_scalar(prop_type, value, label)
    except InvalidValue as error:
        return f"{error}."
    if prop_type["type"] == "timestamp" and not _has_zone(value):
        return f"{label} must give its time zone, e.g. {value}Z for UTC."
    return None


def _has_zone(value: object) -> bool:
    match = isinstance(value, str) and TIMESTAMP_RE.match(value)
    return bool(match and match.group(8)) and parse_timestamp(value) is not None


API_PATH_RE = re.compile(r"^filter((?:\.(?:and|or)\[\d+\]|\.not)*)")


def error_path(message: str, tree: Node) -> str | None:
    """The path of the node a CDF 400 message names ("filter.and[1].not.range: ..."), or None when it
    names no node of the tree."""
    match = API_PATH_RE.match(message)
    if not match or tree == EMPTY:
        return None
    path = ".".join(re.findall(r"\[(\d+)\]", match.group(1)))
    try:
        node_at(tree, path)
    except FilterError:
        return None
    return path
