"""The query builder without HTTP: a filter of the records API (records-api.md §8) as a tree the
builder draws, edits, checks and describes.

The canonical form of a query is the CDF filter JSON itself (design.md, "One filter representation");
the tree is a view of it, and so is the URL. The tree keeps everything needed to write the same JSON
back, so any tree survives builder -> JSON -> builder -> URL -> builder unchanged:

- `not` is a count on the node it wraps (`nots`), not a node of its own, so `{"not": {"not": X}}`
  stays a double negation; a group of one child stays a group.
- A leaf the builder cannot draw (an unknown filter, a field it does not edit, a property that is
  not in the known containers, a parameter or property reference as a value) is kept as a read-only
  `Raw` node holding its JSON as written.
- A clause being edited may lack its property (`property == ()`) or its value (`MISSING`); the JSON
  then lacks that field too, and `validate` says what is missing.
- The empty tree (an `and` group without children or `not`) is "no filter": `to_filter` gives None.

Paths name a node by the indexes of the groups' children from the root: "" is the root, "0.2.1" the
second child of the third child of the first child. A `not` has no path of its own.
"""

import json
import re
from dataclasses import dataclass, field, replace
from itertools import batched

from cdftypes.values import (
    NUMERIC_TYPES,
    ORDERED_TYPES,
    TIMESTAMP_RE,
    InvalidValue,
    epoch_ms,
    is_number,
    normalize_scalar,
    parse_json,
    parse_timestamp,
)

from .schema import INTEGER_RE, format_item, parse_item

MAX_NODES = 100  # records-api.md §7: a filter tree has at most 100 nodes, nested at most 10 deep
MAX_DEPTH = 10
MAX_VALUES = 100  # in, containsAny, containsAll
MAX_HAS_DATA = 10
MAX_PREFIX_CHARS = 500
# A URL of a few tens of kilobytes is beyond what browsers and proxies reliably carry.
MAX_PARAM_CHARS = 16_000

TOP_LEVEL_PROPERTIES = ("space", "externalId", "createdTime", "lastUpdatedTime")
TIME_PROPERTIES = ("createdTime", "lastUpdatedTime")
GROUP_OPERATORS = ("and", "or")
RANGE_BOUNDS = ("gt", "gte", "lt", "lte")
SYMBOLS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
# The fields of each leaf that has a property, in the order they are written.
LEAF_FIELDS = {
    "equals": ("property", "value"),
    "in": ("property", "values"),
    "range": ("property", *RANGE_BOUNDS),
    "prefix": ("property", "value"),
    "exists": ("property",),
    "containsAny": ("property", "values"),
    "containsAll": ("property", "values"),
}
MULTI_VALUE_OPERATORS = ("in", "containsAny", "containsAll")
# The leaves without a property.
PROPERTYLESS_OPERATORS = ["hasData", "matchAll"]
OPERATORS = [*LEAF_FIELDS, *PROPERTYLESS_OPERATORS]
# Filters of the DMS instances language that records do not have (records-api.md §8.1).
UNSUPPORTED = ("nested", "overlaps", "instanceReferences", "search", "geojsonIntersects",
               "geojsonDisjoint", "geojsonWithin")  # fmt: skip


class _Missing:
    """The value of a clause whose value is not entered yet."""

    def __repr__(self):
        return "MISSING"


MISSING = _Missing()


@dataclass(frozen=True)
class Unparsed:
    """A value as the user typed it that does not fit its property: kept so that nothing typed is
    lost, reported by `validate`, never sent."""

    text: str
    problem: str


class FilterError(ValueError):
    """A filter that cannot be read or an edit that cannot be made; the message says where and why."""


class _Negatable:
    """`nots` counts the `not`s around a node; an odd count inverts its meaning."""

    nots: int

    @property
    def negated(self) -> bool:
        return self.nots % 2 == 1


@dataclass(frozen=True)
class Clause(_Negatable):
    """One leaf. `value` by operator: equals and prefix, the value; in, containsAny and containsAll,
    the list of values; range, a dict of the bounds as written ({"gte": 80, "lt": 100}); hasData, a
    list of (space, externalId) container pairs; exists and matchAll, nothing (MISSING)."""

    operator: str
    property: tuple[str, ...] = ()
    value: object = MISSING
    nots: int = 0

    def __post_init__(self):
        # Range bounds and hasData containers are collections: "none yet" is an empty one.
        if self.value is MISSING and self.operator in ("range", "hasData"):
            object.__setattr__(self, "value", {} if self.operator == "range" else [])


@dataclass(frozen=True)
class Group(_Negatable):
    op: str = "and"
    children: tuple = ()
    nots: int = 0


@dataclass(frozen=True)
class Raw(_Negatable):
    """A leaf the builder cannot draw, kept as written (under its `not`s)."""

    filter: dict = field(default_factory=dict)
    nots: int = 0


Node = Clause | Group | Raw
EMPTY = Group()


def property_types(containers: list[dict]) -> dict[tuple[str, str, str], dict]:
    return {
        (c["space"], c["externalId"], pid): spec["type"]
        for c in containers
        for pid, spec in c["properties"].items()
    }


def _known_containers(containers: list[dict]) -> set[tuple[str, str]]:
    return {(c["space"], c["externalId"]) for c in containers}


# --- JSON <-> tree ---------------------------------------------------------------------------


def from_filter(data: dict | None, containers: list[dict]) -> Node:
    """The tree of a filter (None: no filter). FilterError when it is not a filter tree at all or is
    beyond the API's size limits; a leaf the builder cannot draw becomes a Raw node."""
    if data is None:
        return EMPTY
    tree = _Reader(containers).read(data, "filter", depth=1)
    check_limits(tree)
    return tree


class _Reader:
    def __init__(self, containers: list[dict]):
        self.types = property_types(containers)
        self.containers = _known_containers(containers)

    def read(self, data: object, where: str, depth: int) -> Node:
        nots = 0
        while True:
            if depth + nots > MAX_DEPTH:
                raise FilterError(f"{where}: the filter is nested deeper than {MAX_DEPTH} levels")
            if not isinstance(data, dict) or len(data) != 1:
                got = f"{len(data)} keys" if isinstance(data, dict) else _json_type(data)
                raise FilterError(f"{where}: a filter must be an object with exactly one key, got {got}")
            [(name, body)] = data.items()
            if name != "not":
                break
            data, where, nots = body, f"{where}.not", nots + 1
        depth += nots
        if name in GROUP_OPERATORS:
            if not isinstance(body, list):
                raise FilterError(f"{where}.{name}: must be a list of filters, got {_json_type(body)}")
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


# --- values as the builder's fields show them --------------------------------------------------


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


# --- the URL --------------------------------------------------------------------------------


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


# --- size ----------------------------------------------------------------------------------


def count_nodes(node: Node) -> int:
    """Nodes as the API counts them: every group, leaf and `not`."""
    children = node.children if isinstance(node, Group) else ()
    return node.nots + 1 + sum(count_nodes(child) for child in children)


def depth(node: Node) -> int:
    children = node.children if isinstance(node, Group) else ()
    return node.nots + 1 + max((depth(child) for child in children), default=0)


def check_limits(tree: Node) -> None:
    if tree == EMPTY:
        return
    nodes = count_nodes(tree)
    if nodes > MAX_NODES:
        raise FilterError(f"The filter would have {nodes} nodes; the API allows at most {MAX_NODES}.")
    levels = depth(tree)
    if levels > MAX_DEPTH:
        raise FilterError(
            f"The filter would be nested {levels} levels deep; the API allows at most {MAX_DEPTH}."
        )


# --- edits ---------------------------------------------------------------------------------


def node_at(tree: Node, path: str) -> Node:
    node = tree
    for step, index in enumerate(_indexes(path)):
        if not isinstance(node, Group) or not 0 <= index < len(node.children):
            where = ".".join(path.split(".")[: step + 1])
            raise FilterError(f"There is no condition at {where!r} in the filter.")
        node = node.children[index]
    return node


def _indexes(path: str) -> list[int]:
    if path == "":
        return []
    try:
        indexes = [int(part) for part in path.split(".")]
    except ValueError:
        raise FilterError(f"{path!r} is not a path of the filter (write indexes such as 0.2.1).") from None
    if any(index < 0 for index in indexes):
        raise FilterError(f"{path!r} is not a path of the filter (indexes start at 0).")
    return indexes


def _parent(path: str) -> tuple[str, int]:
    parent, _, index = path.rpartition(".")
    return parent, int(index)


def _with_node(tree: Node, path: str, new: Node) -> Node:
    """The tree with the node at `path` replaced by `new` (limits not checked)."""
    if path == "":
        return new
    node_at(tree, path)  # names a missing path in the error
    parent_path, index = _parent(path)
    parent = node_at(tree, parent_path)
    children = list(parent.children)
    children[index] = new
    return _with_node(tree, parent_path, replace(parent, children=tuple(children)))


def _group_at(tree: Node, path: str) -> Group:
    node = node_at(tree, path)
    if not isinstance(node, Group):
        raise FilterError(f"The condition at {path!r} is not a group: add conditions to a group.")
    return node


def _insert(tree: Node, group_path: str, index: int | None, new: Node) -> Node:
    if group_path == "" and not isinstance(tree, Group):
        # Adding beside a lone condition: both go into an "and" group.
        tree = Group("and", (tree,))
    group = _group_at(tree, group_path)
    children = list(group.children)
    index = len(children) if index is None else index
    if not 0 <= index <= len(children):
        raise FilterError(f"Position {index} is outside the group at {group_path!r} ({len(children)} items).")
    children.insert(index, new)
    result = _with_node(tree, group_path, replace(group, children=tuple(children)))
    check_limits(result)
    return result


def add_clause(tree: Node, group_path: str = "", clause: Clause | None = None) -> Node:
    """The tree with a clause (by default a blank equals) appended to the group at `group_path`."""
    return _insert(tree, group_path, None, clause or Clause("equals"))


def add_group(tree: Node, group_path: str = "", op: str = "and") -> Node:
    """The tree with an empty group appended to the group at `group_path`."""
    if op not in GROUP_OPERATORS:
        raise FilterError(f"A group combines its conditions with and or or, not {op!r}.")
    return _insert(tree, group_path, None, Group(op))


def set_node(tree: Node, path: str, new: Node) -> Node:
    """The tree with the node at `path` replaced, e.g. by a clause the user changed."""
    result = _with_node(tree, path, new)
    check_limits(result)
    return result


def remove(tree: Node, path: str) -> Node:
    """The tree without the node at `path`; removing the root leaves no filter."""
    node_at(tree, path)
    if path == "":
        return EMPTY
    parent_path, index = _parent(path)
    parent = node_at(tree, parent_path)
    children = parent.children[:index] + parent.children[index + 1 :]
    return _with_node(tree, parent_path, replace(parent, children=children))


def move(tree: Node, path: str, new_parent_path: str, index: int) -> Node:
    """The tree with the node at `path` moved into the group at `new_parent_path`, at position `index`
    among that group's children once the node has left its old place."""
    node = node_at(tree, path)
    if path == "":
        raise FilterError("The whole filter cannot be moved into itself.")
    if new_parent_path == path or new_parent_path.startswith(path + "."):
        raise FilterError(f"The group at {path!r} cannot be moved into itself.")
    _group_at(tree, new_parent_path)
    # The destination's path shifts when the node leaves an earlier place in one of its ancestors.
    old = _indexes(path)
    target = _indexes(new_parent_path)
    level = len(old) - 1
    if len(target) > level and target[:level] == old[:level] and target[level] > old[level]:
        target[level] -= 1
    return _insert(remove(tree, path), ".".join(map(str, target)), index, node)


def toggle_not(tree: Node, path: str) -> Node:
    """The tree with the meaning of the node at `path` inverted: one `not` taken off, or one put on."""
    node = node_at(tree, path)
    return set_node(tree, path, replace(node, nots=node.nots - 1 if node.nots else 1))


# --- operators and validation --------------------------------------------------------------


def property_type(path: tuple[str, ...], containers: list[dict]) -> dict | str | None:
    """What `operators_for` takes for a property path: its type dict, the name of a top-level
    property, or None when it is unknown."""
    return type_in(path, property_types(containers))


def type_in(path: tuple[str, ...], types: dict) -> dict | str | None:
    """`property_type` with the types of `property_types`."""
    if len(path) == 1 and path[0] in TOP_LEVEL_PROPERTIES:
        return path[0]
    return types.get(tuple(path))


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


def property_label(path: tuple[str, ...]) -> str:
    return ".".join(path)


def validate(tree: Node, containers: list[dict]) -> dict[str, list[str]]:
    """What is wrong with each node before the filter is sent: {path: [messages]}, only paths with
    problems. The empty tree is fine (no filter)."""
    errors: dict[str, list[str]] = {}
    if tree != EMPTY:
        _validate(tree, "", _Reader(containers), errors)
    return errors


def _validate(node: Node, path: str, reader: "_Reader", errors: dict) -> None:
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


def _leaf_problems(clause: Clause, reader: "_Reader") -> list[str]:
    if clause.operator == "matchAll":
        return []
    if clause.operator == "hasData":
        return _has_data_problems(clause.value, reader.containers)
    return _clause_problems(clause, reader.types)


def _raw_problems(data: dict, reader: "_Reader") -> list[str]:
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
                f"{label}: the range {SYMBOLS[low_bound]} {_show(bounds[low_bound])} and "
                f"{SYMBOLS[high_bound]} {_show(bounds[high_bound])} is empty; no record can match."
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
            f"2026-08-01T00:00:00Z, not {_show(value)}."
        )
    if isinstance(prop_type, str):  # space, externalId
        if isinstance(value, str) and value:
            return None
        return f"{label} must be non-empty text, not {_show(value)}."
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


# --- summary -------------------------------------------------------------------------------


def summary(tree: Node, containers: list[dict]) -> str:
    """The filter in plain words, e.g. "status is running and temperature >= 80 and not name starts
    with 'test'"."""
    if tree == EMPTY:
        return "all records"
    return _describe(tree, property_types(containers), nested=False)


def _describe(node: Node, types: dict, nested: bool) -> str:
    if isinstance(node, Group):
        parts = [_describe(child, types, nested=True) for child in node.children]
        text = f" {node.op} ".join(parts) if parts else "(no conditions)"
        if len(parts) > 1 and (nested or node.nots):
            text = f"({text})"
    elif isinstance(node, Raw):
        text = f"custom filter {_show(node.filter)}"
    else:
        text = _describe_clause(node, types)
    return "not " * node.nots + text


def _describe_clause(clause: Clause, types: dict) -> str:
    if clause.operator == "matchAll":
        return "any record"
    if clause.operator == "hasData":
        return "has data in " + (" and ".join(f"{space}.{xid}" for space, xid in clause.value) or "?")
    name = clause.property[-1] if clause.property else "?"
    if clause.property[:1] in [(name,) for name in TIME_PROPERTIES]:
        kind = "timestamp"
    else:
        kind = types.get(clause.property, {}).get("type")

    def show(value):
        return "?" if value is MISSING else _show(value, kind)

    value = clause.value
    if clause.operator == "equals":
        return f"{name} is {show(value)}"
    if clause.operator == "prefix":
        return f"{name} starts with {show(value)}"
    if clause.operator == "exists":
        return f"{name} is set"
    if clause.operator == "range":
        if not value:
            return f"{name} in a range ?"
        return " and ".join(f"{name} {SYMBOLS[bound]} {show(limit)}" for bound, limit in value.items())
    listed = "?" if value is MISSING else ", ".join(show(item) for item in value)
    phrase = {"in": "is one of", "containsAny": "contains any of", "containsAll": "contains all of"}
    return f"{name} {phrase[clause.operator]} {listed}"


def _show(value: object, kind: str | None = None) -> str:
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


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "an object"


# --- the API's answer ------------------------------------------------------------------------

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
