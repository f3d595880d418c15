"""The query builder without HTTP: a filter of the records API (records-api.md §8) as a tree the
builder draws (builder.py), edits (edits.py), checks (validation.py) and describes (summary.py).

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

from dataclasses import dataclass, field

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


def known_containers(containers: list[dict]) -> set[tuple[str, str]]:
    return {(c["space"], c["externalId"]) for c in containers}


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


# --- properties and their types -----------------------------------------------------------


def property_type(path: tuple[str, ...], containers: list[dict]) -> dict | str | None:
    """What `operators_for` takes for a property path: its type dict, the name of a top-level
    property, or None when it is unknown."""
    return type_in(path, property_types(containers))


def type_in(path: tuple[str, ...], types: dict) -> dict | str | None:
    """`property_type` with the types of `property_types`."""
    if len(path) == 1 and path[0] in TOP_LEVEL_PROPERTIES:
        return path[0]
    return types.get(tuple(path))


def property_label(path: tuple[str, ...]) -> str:
    return ".".join(path)
