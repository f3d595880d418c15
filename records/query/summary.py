"""A filter tree in words, as the browser shows it above the records."""

from .filter_tree import EMPTY, MISSING, SYMBOLS, TIME_PROPERTIES, Clause, Group, Node, Raw, property_types
from .words import describe_value


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
        text = f"custom filter {describe_value(node.filter)}"
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
        return "?" if value is MISSING else describe_value(value, kind)

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
