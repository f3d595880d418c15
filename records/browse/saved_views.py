"""Saved views of the record browser: a named query string per stream, private to its owner or shared
with everyone, opened by a permalink that explains what no longer exists. Their pages are in views.py."""

from django.db.models import Q
from django.http import QueryDict

from ..models import SavedView
from ..query import filter_json, filter_tree, validation
from . import browsing

MAX_NAME = SavedView._meta.get_field("name").max_length


def visible_views(user, stream_id: str):
    """The views of a stream the user may open: their own, and those others share."""
    return (
        SavedView.objects.filter(stream=stream_id)
        .filter(Q(owner=user) | Q(shared=True))
        .select_related("owner")
    )


def check_name(name: str) -> str | None:
    if not name:
        return "Give the view a name."
    if len(name) > MAX_NAME:
        return f"A view's name has at most {MAX_NAME} characters; this one has {len(name)}."
    if "\x00" in name:  # PostgreSQL cannot store one
        return "A view's name cannot hold a NUL character."
    return None


def tidy_query(text: str) -> str:
    """A browser query string without its paging (a view starts at the top)."""
    params = QueryDict(text, mutable=True)
    for name in browsing.PAGING_PARAMETERS:
        params.pop(name, None)
    return params.urlencode()


def missing_parts(params: QueryDict, containers: list[dict]) -> tuple[list[str], QueryDict]:
    """What a saved query names that the CDF project no longer has, in words, and the query without
    the containers, columns and sort keys that are gone. The filter is kept as it was: dropping one of
    its conditions would change which records it finds, so the builder shows what to fix."""
    known = {browsing.container_ref(c): c for c in containers}
    columns = {col.key for c in containers for col in browsing.container_columns(c)}
    gone = []
    kept = params.copy()
    sources = params.getlist("source")
    gone += [
        f"The container {ref} is not in the CDF project any more." for ref in sources if ref not in known
    ]
    kept.setlist("source", [ref for ref in sources if ref in known])
    wanted = params.getlist("column")
    gone += [f"The property {key} is not in its container any more." for key in wanted if key not in columns]
    kept.setlist("column", [key for key in wanted if key in columns])
    sorts = list(zip(params.getlist("sort"), params.getlist("dir"), strict=False))
    lost = [key for key, _ in sorts if key.count(".") == 2 and key not in columns]
    gone += [f"The sort key {key} is not in its container any more." for key in lost]
    kept.setlist("sort", [key for key, _ in sorts if key not in lost])
    kept.setlist("dir", [direction for key, direction in sorts if key not in lost])
    try:
        tree = filter_json.from_param(params.get("filter", ""), containers)
    except filter_tree.FilterError as error:
        gone.append(f"The filter cannot be read any more: {error}")
    else:
        problems = validation.validate(tree, containers)
        gone += [
            f"The filter: {message}"
            for messages_of_node in problems.values()
            for message in messages_of_node
            if "unknown" in message
        ]
    return gone, kept
