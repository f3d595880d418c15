"""A filter tree and the filter JSON of the records API, both ways; the JSON as the browser's URL and
the JSON editor carry it."""

import json
from dataclasses import replace
from itertools import batched

from cdftypes.values import (
    parse_json,
)

from .field_values import item_type, parse_value, value_text
from .filter_tree import (
    EMPTY,
    GROUP_OPERATORS,
    LEAF_FIELDS,
    MAX_DEPTH,
    MAX_PARAM_CHARS,
    MAX_VALUES,
    MISSING,
    MULTI_VALUE_OPERATORS,
    TOP_LEVEL_PROPERTIES,
    Clause,
    FilterError,
    Group,
    Node,
    Raw,
    Unparsed,
    check_limits,
    known_containers,
    property_types,
)
from .words import json_type


def from_filter(data: dict | None, containers: list[dict]) -> Node:
    """The tree of a filter (None: no filter). FilterError when it is not a filter tree at all or is
    beyond the API's size limits; a leaf the builder cannot draw becomes a Raw node."""
    if data is None:
        return EMPTY
    tree = FilterReader(containers).read(data, "filter", depth=1)
    check_limits(tree)
    return tree


class FilterReader:
    def __init__(self, containers: list[dict]):
        self.types = property_types(containers)
        self.containers = known_containers(containers)

    def read(self, data: object, where: str, depth: int) -> Node:
        nots = 0
        while True:
            if depth + nots > MAX_DEPTH:
                raise FilterError(f"{where}: the filter is nested deeper than {MAX_DEPTH} levels")
            if not isinstance(data, dict) or len(data) != 1:
                got = f"{len(data)} keys" if isinstance(data, dict) else json_type(data)
                raise FilterError(f"{where}: a filter must be an object with exactly one key, got {got}")
            [(name, body)] = data.items()
            if name != "not":
                break
            data, where, nots = body, f"{where}.not", nots + 1
        depth += nots
        if name in GROUP_OPERATORS:
            if not isinstance(body, list):
                raise FilterError(f"{where}.{name}: must be a list of filters, got {json_type(body)}")
            children = tuple(
                self.read(child, f"{where}.{name}[{index}]", depth + 1) for index, child in enumerate(body)
            )
            return Group(name, children, nots)
        clause = self.clause(name, body)
        return replace(clause, nots=nots) if clause else Raw(data, nots)

    def clause(self, name: str, body: object, drawable_only: bool = True) -> Clause | None:
        """The clause of a leaf, or None when the builder cannot draw it (or, not `drawable_only`,
        when it is no clause of the records language at all)."""
        if name == "matchAll":
            return Clause(name) if body == {} else None
        if name == "hasData":
            if not isinstance(body, list) or not all(self.is_container_ref(ref) for ref in body):
                return None
            if drawable_only and len({(ref["space"], ref["externalId"]) for ref in body}) != len(body):
                return None  # a container is ticked once
            return Clause(name, value=[(ref["space"], ref["externalId"]) for ref in body])
        fields = LEAF_FIELDS.get(name)
        if fields is None or not isinstance(body, dict) or not set(body) <= set(fields):
            return None
        if "property" in body and not self.is_property(body["property"]):
            return None
        path = tuple(body.get("property", ()))
        value_type = item_type(path, self.types)

        def drawable(value):
            return not drawable_only or _drawable(value, value_type)

        if name == "range":
            bounds = {bound: value for bound, value in body.items() if bound != "property"}
            if drawable_only and (
                ("gt" in bounds and "gte" in bounds) or ("lt" in bounds and "lte" in bounds)
            ):
                return None  # the builder has one lower and one upper bound
            if not all(drawable(value) for value in bounds.values()):
                return None
            return Clause(name, path, bounds)
        value = body.get("value", body.get("values", MISSING))
        if name in MULTI_VALUE_OPERATORS and value is not MISSING:
            if not isinstance(value, list) or not all(drawable(item) for item in value):
                return None
        elif value is not MISSING and not drawable(value):
            return None
        return Clause(name, path, value)

    def is_property(self, path: object) -> bool:
        if not isinstance(path, list):
            return False
        if len(path) == 1:
            return path[0] in TOP_LEVEL_PROPERTIES
        return len(path) == 3 and all(isinstance(part, str) for part in path) and tuple(path) in self.types

    def is_container_ref(self, ref: object) -> bool:
        return (
            isinstance(ref, dict)
            and set(ref) == {"type", "space", "externalId"}
            and ref["type"] == "container"
            and (ref["space"], ref["externalId"]) in self.containers
        )


def _drawable(value: object, value_type: dict | str | None) -> bool:
    """Whether the builder's field for a value gives back exactly that value: a form field holds one
    line of text, and a parameter or property reference (which records do not have, records-api.md
    §8.1) or a value of the wrong type would not survive the way through the field's text."""
    if isinstance(value, str) and ("\n" in value or "\r" in value):
        return False
    parsed = parse_value(value_text(value, value_type), value_type)
    return type(parsed) is type(value) and parsed == value


def to_filter(node: Node) -> dict | None:
    """The filter JSON of a tree, exactly as it was read; None for the empty tree (no filter)."""
    if node == EMPTY:
        return None
    return _to_json(node)


def _to_json(node: Node) -> dict:
    if isinstance(node, Group):
        data = {node.op: [_to_json(child) for child in node.children]}
    elif isinstance(node, Raw):
        data = node.filter
    else:
        data = _leaf_json(node)
    for _ in range(node.nots):
        data = {"not": data}
    return data


def _leaf_json(clause: Clause) -> dict:
    if clause.operator == "matchAll":
        return {"matchAll": {}}
    if clause.operator == "hasData":
        refs = [{"type": "container", "space": space, "externalId": xid} for space, xid in clause.value]
        return {"hasData": refs}
    body = {}
    if clause.property:
        body["property"] = list(clause.property)
    if clause.operator == "range":
        body.update((bound, _typed(value)) for bound, value in clause.value.items() if value is not MISSING)
    elif clause.operator in MULTI_VALUE_OPERATORS and isinstance(clause.value, list):
        body["values"] = [_typed(item) for item in clause.value if item is not MISSING]
    elif clause.value is not MISSING:
        body["values" if clause.operator in MULTI_VALUE_OPERATORS else "value"] = _typed(clause.value)
    return {clause.operator: body}


def _typed(value):
    """A value for the JSON; a value typed wrong shows as typed (such a filter is never sent)."""
    return value.text if isinstance(value, Unparsed) else value


def ids_filter(space: str, external_ids: list[str]) -> dict:
    """The filter of the records of one space with these externalIds, in `in` filters of at most
    MAX_VALUES values each (the API's limit)."""
    parts = batched(external_ids, MAX_VALUES)
    named = [{"in": {"property": ["externalId"], "values": list(part)}} for part in parts]
    return {"and": [{"equals": {"property": ["space"], "value": space}}, {"or": named}]}


def to_param(node: Node) -> str:
    """The value of the `filter` query parameter: the compact JSON of the filter, "" for none."""
    data = to_filter(node)
    return "" if data is None else json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def from_param(text: str, containers: list[dict]) -> Node:
    """The tree of a `filter` query parameter; FilterError (a ValueError) when it is malformed or
    too large."""
    if len(text) > MAX_PARAM_CHARS:
        raise FilterError(
            f"The filter parameter is {len(text)} characters long; at most {MAX_PARAM_CHARS} are accepted."
        )
    return from_text(text, containers, "The filter parameter")


def from_text(text: str, containers: list[dict], name: str) -> Node:
    """The tree of a filter written as JSON text (blank: no filter); FilterError saying what is wrong,
    with `name` naming the text in the message."""
    if not text.strip():
        return EMPTY
    try:
        data = parse_json(text)
    except ValueError as error:
        raise FilterError(f"{name} is not valid JSON: {error}") from None
    return from_filter(data, containers)
