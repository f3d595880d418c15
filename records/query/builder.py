"""The query builder's form: a filter tree as fields of the record browser's form, read back into the
tree, and the edits its buttons ask for.

Every field is named by the path of its node (filter_tree.py's paths) after "q": "q" is the root, "q.0.2"
the third child of the first child. The fields of a node are <prefix>-kind (group, clause or raw) and
<prefix>-nots, and then by kind: -op (group); -property, -operator, -lower, -upper, -containers
(repeated, hasData) and the value fields -value, -values (repeated), -lower_value, -upper_value
(clause); -json (raw, as written). Value fields are the typed inputs of templatetags/typed_inputs.py,
which submit "value:<name>", or "space:<name>" and "xid:<name>" for a direct relation.

The fields carry what the user typed, not only valid values: a value that does not fit its property
is read as filter_tree.Unparsed, so every round trip gives the user's text back next to its message.
"""

import json
from dataclasses import replace

from cdftypes.values import parse_json

from ..schema import type_label
from . import edits, field_values, filter_tree, validation
from .filter_tree import (
    GROUP_OPERATORS,
    MISSING,
    MULTI_VALUE_OPERATORS,
    OPERATORS,
    RANGE_BOUNDS,
    TIME_PROPERTIES,
    TOP_LEVEL_PROPERTIES,
    Clause,
    FilterError,
    Group,
    Node,
    Raw,
)

PREFIX = "q"
OPERATOR_LABELS = {
    "equals": "is",
    "in": "is one of",
    "range": "is in the range",
    "prefix": "starts with",
    "exists": "is set",
    "containsAny": "contains any of",
    "containsAll": "contains all of",
    "hasData": "has data in",
    "matchAll": "any record",
}
TOP_LEVEL_TYPES = {"space": "text", "externalId": "text", "createdTime": "time", "lastUpdatedTime": "time"}


def field_prefix(path: str) -> str:
    return f"{PREFIX}.{path}" if path else PREFIX


def in_form(params) -> bool:
    """Whether a request carries the builder's fields (a submitted form, not a link)."""
    return f"{PREFIX}-kind" in params


# --- reading the form ------------------------------------------------------------------------


def read_form(params, containers: list[dict]) -> Node:
    """The tree the builder's fields describe; FilterError when they were tampered with or the tree
    is beyond the API's limits."""
    tree = _read_node(params, "", filter_tree.property_types(containers), level=1)
    filter_tree.check_limits(tree)
    return tree


def _read_node(params, path: str, types: dict, level: int) -> Node:
    prefix = field_prefix(path)
    if level > filter_tree.MAX_DEPTH:
        raise FilterError(f"The filter is nested deeper than {filter_tree.MAX_DEPTH} levels.")
    kind = params.get(f"{prefix}-kind")
    nots = _count(params.get(f"{prefix}-nots", "0"), prefix)
    if kind == "group":
        op = params.get(f"{prefix}-op")
        if op not in GROUP_OPERATORS:
            raise FilterError(f"A group combines its conditions with and or or, not {op!r}.")
        children = []
        while f"{field_prefix(_child(path, len(children)))}-kind" in params:
            children.append(_read_node(params, _child(path, len(children)), types, level + 1))
        return Group(op, tuple(children), nots)
    if kind == "raw":
        try:
            data = parse_json(params.get(f"{prefix}-json", ""))
        except ValueError:
            data = None
        if not isinstance(data, dict) or len(data) != 1:
            raise FilterError("A condition kept as JSON was changed into something that is not a filter.")
        return Raw(data, nots)
    if kind == "clause":
        return replace(_read_clause(params, prefix, types), nots=nots)
    raise FilterError(f"The filter form has a condition of unknown kind {kind!r}.")


def _child(path: str, index: int) -> str:
    return f"{path}.{index}" if path else str(index)


def _count(text: str, prefix: str) -> int:
    if not text.isdigit() or int(text) > filter_tree.MAX_DEPTH:
        raise FilterError(f"The filter form has a bad negation count at {prefix!r}.")
    return int(text)


def property_path(key: str) -> tuple[str, ...]:
    """ "" -> (), "space" -> ("space",), "plant.Reading.temperature" -> its three parts."""
    return tuple(key.split(".")) if key else ()


def _read_clause(params, prefix: str, types: dict) -> Clause:
    operator = params.get(f"{prefix}-operator", "equals")
    if operator not in OPERATORS:
        raise FilterError(f"Unknown operator {operator!r}: the records API has {', '.join(OPERATORS)}.")
    if operator == "matchAll":
        return Clause(operator)
    if operator == "hasData":
        refs = [tuple(ref.split(".", 1)) for ref in params.getlist(f"{prefix}-containers")]
        if not all(len(ref) == 2 for ref in refs):
            raise FilterError("A has-data condition names its containers as space.externalId.")
        return Clause(operator, value=refs)
    path = property_path(params.get(f"{prefix}-property", ""))
    if path and params.get(f"{prefix}-was_property") not in (None, ".".join(path)):
        # A new property keeps the operator when it fits, else takes the first one that does.
        allowed = validation.operators_for(filter_tree.type_in(path, types))
        if operator not in allowed:
            operator = allowed[0]
    if operator == "exists":
        return Clause(operator, path)
    value_type = field_values.item_type(path, types)
    where = filter_tree.property_label(path) or "the value"

    def parse(text: str):
        return field_values.parse_value(text, value_type, where)

    single = _texts(params, f"{prefix}-value", value_type)
    multi = _texts(params, f"{prefix}-values", value_type)
    bounds = {
        params.get(f"{prefix}-{side}"): next(iter(_texts(params, f"{prefix}-{side}_value", value_type)), "")
        for side in ("lower", "upper")
        if params.get(f"{prefix}-{side}")
    }
    if set(bounds) - set(RANGE_BOUNDS):
        raise FilterError("A range's bounds are >, >=, < and <=.")
    # The fields of the operator the clause had before stand in for the new one's.
    texts = single or multi or list(bounds.values())
    if operator == "range":
        if not bounds and texts and texts[0].strip():
            bounds = {"gte": texts[0]}
        return Clause(operator, path, {bound: parse(text) for bound, text in bounds.items()})
    if operator in MULTI_VALUE_OPERATORS:
        items = multi or [text for text in texts if text.strip()]
        return Clause(operator, path, [parse(text) for text in items] if items else MISSING)
    return Clause(operator, path, parse(texts[0]) if texts else MISSING)


def _texts(params, name: str, value_type) -> list[str]:
    """The texts of a typed input's (repeated) fields; a direct relation's two joined as space:externalId."""
    if isinstance(value_type, dict) and value_type["type"] == "direct":
        spaces, ids = params.getlist(f"space:{name}"), params.getlist(f"xid:{name}")
        return [f"{space}:{xid}" if space or xid else "" for space, xid in zip(spaces, ids, strict=False)]
    return params.getlist(f"value:{name}")


# --- edits -----------------------------------------------------------------------------------


def apply(tree: Node, action: str) -> Node:
    """The tree after one of the builder's buttons ("verb:path[:index]"); FilterError when it cannot
    be done (the message says why)."""
    verb, _, target = action.partition(":")
    path, _, index = target.partition(":")
    if verb == "add-clause":
        return edits.add_clause(tree, path)
    if verb == "add-group":
        return edits.add_group(tree, path, "and")
    if verb == "remove":
        return edits.remove(tree, path)
    if verb == "not":
        return edits.toggle_not(tree, path)
    if verb in ("up", "down"):
        parent, position = _parent(path)
        return edits.move(tree, path, parent, position - 1 if verb == "up" else position + 1)
    if verb == "out":
        parent, _ = _parent(path)
        grandparent, position = _parent(parent)
        return edits.move(tree, path, grandparent, position + 1)
    if verb == "into":
        parent, position = _parent(path)
        sibling = _child(parent, position - 1)
        target_group = edits.node_at(tree, sibling) if position > 0 else None
        if not isinstance(target_group, Group):
            raise FilterError("There is no group just above this condition to move it into.")
        return edits.move(tree, path, sibling, len(target_group.children))
    if verb in ("add-value", "remove-value"):
        clause = edits.node_at(tree, path)
        if not isinstance(clause, Clause):
            raise FilterError(f"The condition at {path!r} has no values.")
        return edits.set_node(tree, path, _edit_values(clause, verb, index))
    if verb == "clear":
        return filter_tree.EMPTY
    if verb == "refresh":
        return tree
    raise FilterError(f"Unknown change {action!r} to the filter.")


def _parent(path: str) -> tuple[str, int]:
    if not path:
        raise FilterError("The whole filter cannot be moved.")
    parent, _, index = path.rpartition(".")
    return parent, int(index)


def _edit_values(clause: Clause, verb: str, index: str) -> Clause:
    values = list(clause.value) if isinstance(clause.value, list) else []
    if verb == "add-value":
        return replace(clause, value=[*values, MISSING])
    if not index.isdigit() or int(index) >= len(values):
        raise FilterError("There is no such value to remove.")
    del values[int(index)]
    return replace(clause, value=values or MISSING)


# --- drawing ---------------------------------------------------------------------------------


def draw(tree: Node, containers: list[dict], errors: dict[str, list[str]]) -> dict:
    """What the template draws: the root node with its children, each with its fields, choices and
    messages. `errors` are validation.validate's (or the API's) messages by path."""
    context = {
        "types": filter_tree.property_types(containers),
        "containers": containers,
        "errors": errors,
    }
    return _draw(tree, "", None, context)


def property_choices(containers: list[dict]) -> list[dict]:
    """The property picker: the record's own properties, then each container's, with their types."""
    groups = [
        {
            "label": "Record",
            "options": [(name, f"{name} ({TOP_LEVEL_TYPES[name]})") for name in TOP_LEVEL_PROPERTIES],
        }
    ]
    for container in containers:
        ref = f"{container['space']}.{container['externalId']}"
        groups.append(
            {
                "label": f"{container['space']} / {container.get('name') or container['externalId']}",
                "options": [
                    (f"{ref}.{pid}", f"{spec.get('name') or pid} ({type_label(spec['type'])})")
                    for pid, spec in container["properties"].items()
                ],
            }
        )
    return groups


def _draw(node: Node, path: str, parent: Group | None, context: dict) -> dict:
    prefix = field_prefix(path)
    position = int(path.rpartition(".")[2]) if path else 0
    drawn = {
        "path": path,
        "prefix": prefix,
        "number": ".".join(str(int(part) + 1) for part in path.split(".")) if path else "",
        "nots": node.nots,
        "negated": node.negated,
        "errors": context["errors"].get(path, []),
        "can_move_up": parent is not None and position > 0,
        "can_move_down": parent is not None and position < len(parent.children) - 1,
        "can_move_out": "." in path,
        "can_move_into": parent is not None
        and position > 0
        and isinstance(parent.children[position - 1], Group),
    }
    if isinstance(node, Group):
        drawn.update(
            kind="group",
            op=node.op,
            children=[_draw(child, _child(path, i), node, context) for i, child in enumerate(node.children)],
        )
    elif isinstance(node, Raw):
        drawn.update(
            kind="raw",
            json=json.dumps(node.filter, ensure_ascii=False),
            pretty=json.dumps(node.filter, indent=2, ensure_ascii=False),
        )
    else:
        drawn.update(kind="clause", **_draw_clause(node, prefix, drawn["number"], context))
    return drawn


def _draw_clause(clause: Clause, prefix: str, number: str, context: dict) -> dict:
    key = ".".join(clause.property)
    prop_type = filter_tree.type_in(clause.property, context["types"]) if clause.property else None
    value_type = field_values.item_type(clause.property, context["types"])
    operators = validation.operators_for(prop_type) if clause.property else list(OPERATORS)
    if clause.operator not in operators:
        operators.append(clause.operator)  # shown as chosen; validation says why it does not fit
    drawn = {
        "property": key,
        "property_known": not clause.property or prop_type is not None,
        "operator": clause.operator,
        "operators": [(op, OPERATOR_LABELS[op]) for op in operators],
        "type": _type_name(prop_type),
        "needs_property": clause.operator not in filter_tree.PROPERTYLESS_OPERATORS,
    }
    value = clause.value
    # Labels say which condition they belong to (read out, not shown).
    of = f" of condition {number}" if number else ""
    if clause.operator == "range":
        bounds = value
        lower = next((b for b in ("gt", "gte") if b in bounds), "")
        upper = next((b for b in ("lt", "lte") if b in bounds), "")
        drawn.update(
            lower=lower,
            upper=upper,
            lower_value=widget(
                f"{prefix}-lower_value", bounds.get(lower, MISSING), value_type, "Lower value", of
            ),
            upper_value=widget(
                f"{prefix}-upper_value", bounds.get(upper, MISSING), value_type, "Upper value", of
            ),
        )
    elif clause.operator in MULTI_VALUE_OPERATORS:
        items = value if isinstance(value, list) else [MISSING]
        drawn["value_fields"] = [
            widget(f"{prefix}-values", item, value_type, f"Value {index + 1}", of, f"{prefix}-values-{index}")
            for index, item in enumerate(items)
        ]
    elif clause.operator in ("equals", "prefix"):
        drawn["value"] = widget(f"{prefix}-value", value, value_type, "Value", of)
    elif clause.operator == "hasData":
        chosen = [f"{space}.{xid}" for space, xid in value]
        others = [
            f"{c['space']}.{c['externalId']}"
            for c in context["containers"]
            if f"{c['space']}.{c['externalId']}" not in chosen
        ]
        # The chosen ones first, in the filter's order, so the form gives the same list back.
        drawn["containers"] = [{"ref": ref, "checked": True} for ref in chosen] + [
            {"ref": ref, "checked": False} for ref in others
        ]
    return drawn


def _type_name(prop_type) -> str:
    if prop_type is None:
        return ""
    if isinstance(prop_type, str):
        return TOP_LEVEL_TYPES[prop_type]
    return type_label(prop_type)


TIME_HINT = "epoch milliseconds, or a time with its zone such as 2026-08-01T12:00:00Z"


def widget(
    name: str, value, value_type, label: str, label_more: str = "", field_id: str | None = None
) -> dict:
    """One value field, drawn by the typed input the record editor uses too (templatetags/typed_inputs)."""
    if isinstance(value_type, dict):
        prop_type, hint = value_type, ""
    else:  # a top-level property: text, or a time as epoch milliseconds or text
        prop_type, hint = {"type": "text"}, TIME_HINT if value_type in TIME_PROPERTIES else ""
    return {
        "name": name,
        "id": field_id or name,
        "label": label,
        "label_more": label_more,
        "prop_type": prop_type,
        "text": field_values.value_text(value, value_type),
        "hint": hint,
    }
