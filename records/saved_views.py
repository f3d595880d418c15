"""Saved views of the record browser: a named query string per stream, private to its owner or shared
with everyone, opened by a permalink that explains what no longer exists."""

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from . import browsing, query
from .auth import cdf_client, refuse
from .cdf import CdfError
from .models import SavedView
from .presentation import error_context

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


@require_POST
def save_view(request, stream_id):
    query_string = tidy_query(request.POST.get("query", ""))
    view = SavedView(owner=request.user, stream=stream_id, query=query_string)
    _store(request, view, "Saved the view “{}”.")
    return redirect(_browser_url(stream_id, query_string))


@require_POST
def rename_view(request, pk):
    view = _own_view(request, pk)
    if view is None:
        return refuse(request, "Only the one who saved a view may rename it.")
    _store(request, view, "Renamed the view to “{}”.")
    return redirect(_browser_url(view.stream, view.query))


def _store(request, view: SavedView, done: str) -> None:
    """Save a view under the posted name and sharing, or say why not."""
    name = request.POST.get("name", "").strip()
    problem = check_name(name)
    if problem is None:
        view.name, view.shared = name, request.POST.get("shared") == "1"
        try:
            with transaction.atomic():  # a refused save leaves the rest of the request usable
                view.save()
        except IntegrityError:
            problem = f"You already have a view named “{name}” for this stream: choose another name."
    if problem:
        messages.error(request, problem)
    else:
        messages.success(request, done.format(name))


def _own_view(request, pk: int) -> SavedView | None:
    view = get_object_or_404(SavedView, pk=pk)
    return view if view.owner_id == request.user.pk else None


@require_POST
def delete_view(request, pk):
    view = _own_view(request, pk)
    if view is None:
        return refuse(request, "Only the one who saved a view may delete it.")
    view.delete()
    messages.success(request, f"Deleted the view “{view.name}”.")
    return redirect(reverse("browser", args=[view.stream]))


def open_view(request, pk):
    """A view's permalink: the browser with its query, or what of it no longer exists and why."""
    view = get_object_or_404(SavedView, pk=pk)
    if view.owner_id != request.user.pk and not view.shared:
        raise Http404("No such view.")  # a private view is not even said to exist
    context = {"nav": "streams", "view": view, "streams_url": reverse("home")}
    try:
        containers = cdf_client(request).list_containers()
    except CdfError as error:
        context["error"] = error_context(error)
        return render(request, "records/saved_view.html", context)
    gone, kept = missing_parts(QueryDict(view.query), containers)
    if not gone:
        return redirect(_browser_url(view.stream, view.query))
    context.update(gone=gone, kept_url=_browser_url(view.stream, kept.urlencode()),
                   as_saved_url=_browser_url(view.stream, view.query))  # fmt: skip
    return render(request, "records/saved_view.html", context)


def _browser_url(stream_id: str, query_string: str) -> str:
    return f"{reverse('browser', args=[stream_id])}?{query_string}"


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
        tree = query.from_param(params.get("filter", ""), containers)
    except query.FilterError as error:
        gone.append(f"The filter cannot be read any more: {error}")
    else:
        problems = query.validate(tree, containers)
        gone += [
            f"The filter: {message}"
            for messages_of_node in problems.values()
            for message in messages_of_node
            if "unknown" in message
        ]
    return gone, kept
