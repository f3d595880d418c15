"""Edits of a filter tree, by the paths of its nodes ("" the root, "0.2" the third child of the first)."""

from dataclasses import replace

from .filter_tree import EMPTY, GROUP_OPERATORS, Clause, FilterError, Group, Node, check_limits


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
