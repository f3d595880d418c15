"""The record browser of one stream: a change feed (sync) or a sorted, windowed list (filter), the page
of one record, and the pages of saved views. The state lives in the query string (see browsing.py);
htmx swaps fragments."""

import json
import time
from concurrent.futures import ThreadPoolExecutor
from html import escape
from urllib.parse import quote, urlsplit

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from ..cdf import CdfError, CdfNotFoundError, as_curl
from ..cdf.calls import as_python
from ..models import SavedView
from ..query import builder, filter_json, filter_tree, summary, validation
from ..web.auth import cdf_client, has_role
from ..web.presentation import error_context, human_duration, iso_time, value_html
from ..web.views import refuse, render_page
from . import browsing, saved_views
from .saved_views import check_name, missing_parts, tidy_query

# Threads that ask CDF for a page's record count while the page's rows are fetched.
COUNTS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="record-count")


def session_key(stream_id: str) -> str:
    return f"browser:{stream_id}"


def now_ms() -> int:
    return int(time.time() * 1000)


@require_http_methods(["GET", "POST"])
def browse(request, stream_id):
    context = {"nav": "streams", "stream_id": stream_id, "streams_url": reverse("home")}
    stream, containers = load_stream(request, stream_id, context)
    if stream is None:
        status = 404 if context.get("missing") else 200
        return render_page(request, "records/browser.html", context, status=status)
    # The form is posted by htmx (a filter makes a long query string); links and plain forms GET.
    params = request.POST if request.method == "POST" else request.GET
    if not params:
        saved = request.session.get(session_key(stream_id))
        shown = containers if saved else _containers_with_data(request, stream, containers)
        default = browsing.default_query(stream, shown, saved)
        return redirect(f"{request.path}?{default.urlencode()}")

    state = browsing.parse_state(params, stream, containers)
    base_query = state.query()
    context.update(
        state=state,
        stream=stream,
        stream_note=_stream_note(stream),
        container_choices=_container_choices(state),
        default_url=request.path,
        view_url=f"{request.path}?{base_query.urlencode()}",
        presets=[(preset, browsing.describe_duration(preset)) for preset in browsing.PRESETS],
        sort_positions=_sort_positions(state),
        column_groups=_column_groups(state),
    )
    if "action" in params:
        return _edit_filter(request, context, state, params)
    context.update(
        saved_views=saved_views.visible_views(request.user, stream_id), view_query=base_query.urlencode()
    )
    if builder.in_form(params) and state.valid and not request.htmx:
        return redirect(context["view_url"])  # a plain form: the address becomes the tidy link
    paging = "cursor" in params or "before" in params
    if state.valid:
        request.session[session_key(stream_id)] = {
            "sources": state.sources,
            "columns": [c.key for c in state.columns],
        }
        client = cdf_client(request)
        # The count and the rows are independent CDF calls: ask for both at once.
        counting = None if paging else COUNTS.submit(_count, client, stream_id, state)
        context.update(_results(client, request, params, stream_id, state, base_query))
        if counting:
            context["count"] = counting.result()
    context.update(_builder_context(state))
    if state.valid and state.tree != filter_tree.EMPTY:
        context["filter_summary"] = summary.summary(state.tree, containers)

    if request.htmx and not request.htmx.history_restore_request and not state.valid:
        # The last valid results stay on screen; only the form shows what needs fixing.
        response = render_page(request, "records/browser.html#browser-form", context)
        return _retarget(response, "#browser-form")
    if request.htmx and not request.htmx.history_restore_request:
        template = "records/browser.html#page" if paging else "records/browser.html#browser"
    else:
        template = "records/browser.html"
    response = render_page(request, template, context)
    if request.htmx and not paging and state.valid:
        # The address bar gets the tidy form of the view; a form with problems keeps what was typed.
        response["HX-Push-Url"] = context["view_url"]
    return response


def _edit_filter(request, context: dict, state: browsing.BrowserState, params):
    """One of the builder's buttons: the builder redrawn after the edit, nothing sent to CDF. Problems
    of the conditions wait until the user asks for the records; a change that cannot be made is said."""
    if state.errors.get("filter") == browsing.FILTER_NEEDS_FIXING:
        del state.errors["filter"]
    state.filter_errors = {}
    action, json_text = params["action"], params.get("filter_json", "")
    problem = ""
    try:
        if action == "json":
            state.tree = filter_json.from_text(json_text, state.containers, "This")
        else:
            state.tree = builder.apply(state.tree, action)
    except filter_tree.FilterError as error:
        problem = str(error)
    if action != "json":
        extra = {"builder_error": problem}
    elif problem:
        extra = {"json_error": problem, "json_text": json_text}  # kept as typed, to be fixed
    else:
        extra = {}
    context.update(_builder_context(state, **extra))
    if request.htmx:
        response = render_page(request, "records/builder.html", context)
        return _retarget(response, "#builder")
    context["pending"] = "The filter changed: choose Show records to see the records it finds."
    return render_page(request, "records/browser.html", context)


def _builder_context(state: browsing.BrowserState, json_text=None, json_error="", builder_error="") -> dict:
    data = filter_json.to_filter(state.tree)
    if json_text is None:
        # A `filter` parameter that could not be read is shown as it was, to be fixed.
        unread = "filter" in state.errors and state.errors["filter"] != browsing.FILTER_NEEDS_FIXING
        json_text = state.values.get("filter", "") if unread else ""
        if data is not None and not unread:
            json_text = json.dumps(data, indent=2, ensure_ascii=False)
    return {
        "builder": builder.draw(state.tree, state.containers, state.filter_errors),
        "properties": builder.property_choices(state.containers),
        "filter_json": json_text,
        "json_error": json_error,
        "builder_error": builder_error,
    }


def _retarget(response, target: str):
    response["HX-Retarget"] = target
    response["HX-Reswap"] = "outerHTML"
    response["HX-Push-Url"] = "false"
    return response


def _containers_with_data(request, stream: dict, containers: list[dict]) -> list[dict]:
    """The record containers the stream holds data for, so a first visit shows columns with values;
    all of them when CDF cannot say (or none has data yet)."""
    query = browsing.has_data_query(stream, containers, now_ms())
    try:
        answer = cdf_client(request).aggregate_records(stream["externalId"], query)
    except CdfError:
        return containers
    return browsing.containers_with_data(answer, containers) or containers



def load_stream(request, stream_id: str, context: dict):
    """(stream, record containers), or (None, None) with the problem in the context."""
    if not browsing.STREAM_ID_RE.match(stream_id):
        context["missing"] = (
            f"“{stream_id}” is not a valid stream id: stream ids are 1 to 100 lowercase letters, digits, "
            "hyphens and underscores, starting with a letter."
        )
        return None, None
    try:
        client = cdf_client(request)
        return client.retrieve_stream(stream_id), client.list_containers()
    except CdfNotFoundError:
        context["missing"] = f"There is no stream “{stream_id}” in this CDF project."
    except CdfError as error:
        context["error"] = error_context(error)
    return None, None


def _stream_note(stream: dict) -> str:
    """Why the time window matters on an immutable stream."""
    if stream["type"] != "Immutable":
        return ""
    limits, lifecycle = stream["settings"]["limits"], stream["settings"]["lifecycle"]
    parts = ["This stream is immutable."]
    if lifecycle.get("dataDeletedAfter"):
        parts.append(
            f"Its records are only retained for {human_duration(lifecycle['dataDeletedAfter'])} after "
            "ingestion, so the change feed cannot reach back further than that."
        )
    if limits.get("maxFilteringInterval"):
        parts.append(
            "Sorted lists and counts must stay within a time window of at most "
            f"{human_duration(limits['maxFilteringInterval'])} (its maxFilteringInterval)."
        )
    return " ".join(parts)


def _container_choices(state: browsing.BrowserState) -> list[dict]:
    """The source picker: every record container with its properties, ticked as chosen."""
    shown = {c.key for c in state.columns}
    choices = []
    for container in state.containers:
        ref = browsing.container_ref(container)
        choices.append(
            {
                "ref": ref,
                "name": container.get("name") or container["externalId"],
                "chosen": ref in state.sources,
                "columns": [
                    {"key": col.key, "label": col.label, "id": col.property, "chosen": col.key in shown}
                    for col in browsing.container_columns(container)
                ],
            }
        )
    return choices


def _sort_positions(state: browsing.BrowserState) -> list[dict]:
    """The rows of the sort fieldset: the chosen keys, then empty ones up to the API's five."""
    keys = [*state.sort, *[("", "asc")] * (browsing.MAX_SORTS - len(state.sort))]
    return [{"number": n, "key": key, "direction": d} for n, (key, d) in enumerate(keys, start=1)]


def _column_groups(state: browsing.BrowserState) -> list[dict]:
    """The container header over each run of columns (columns come grouped by container)."""
    names = {browsing.container_ref(c): c.get("name") or c["externalId"] for c in state.containers}
    groups = []
    for column in state.columns:
        if groups and groups[-1]["ref"] == column.container:
            groups[-1]["span"] += 1
        else:
            groups.append({"ref": column.container, "name": names[column.container], "span": 1})
    return groups


def _count(client, stream_id: str, state: browsing.BrowserState) -> dict:
    query, window = browsing.count_query(state, now_ms())
    try:
        answer = client.aggregate_records(stream_id, query)
    except CdfError as error:
        return {"error": str(error)}
    return {
        "value": answer["aggregates"]["count"]["count"],
        "window": browsing.describe_duration(window) if window else None,
    }


def _results(client, request, params, stream_id: str, state: browsing.BrowserState, base_query) -> dict:
    """The rows of the page asked for and the link to the next, or the problem that stopped them."""
    shown = _int(params.get("shown"), 0)
    cursor = params.get("cursor")
    if state.mode == "sync":
        call = client.describe_request(
            "records/sync", stream_id=stream_id, body=browsing.sync_query(state, cursor)
        )
    else:
        try:
            keyset = browsing.parse_keyset(params)
        except ValueError as error:
            return {"problem": f"This next-page link is not valid ({error}); start again from the top."}
        body = browsing.filter_query(state, now_ms(), keyset)
        call = client.describe_request("records/filter", stream_id=stream_id, body=body)
    try:
        if state.mode == "sync":
            answer = client.sync_records(stream_id, call.body)
            items, following = answer["items"], {"cursor": answer["nextCursor"]}
            at_end = not answer["hasNext"]
        else:
            answer = client.filter_records(stream_id, call.body)
            items, following = browsing.sorted_page(answer["items"], state, call.body["limit"], keyset)
            at_end = following is None
            following = following and following.query()
    except CdfError as error:
        if cursor and error.status == 400:
            return {
                "problem": "The change-feed position in this link is not valid any more (it was changed or "
                f"has expired): {error.message}. Start the feed again from its start point."
            }
        path = validation.error_path(error.message, state.tree) if error.status == 400 else None
        if path is not None:
            # CDF refused a condition: its message goes next to it, as the builder's own would.
            browsing.refuse_filter(state, path, f"CDF refused this condition: {error.message}")
            return {}
        return {"error": error_context(error)}
    # One reverse() for the page: rows differ only in the record's id (quoted below).
    record_prefix = reverse("record", args=[stream_id, "-", "-"]).removesuffix("/-/-")
    columns = [(*c.container.split("."), c.property, c.type) for c in state.columns]
    # Editors pick rows of a mutable stream to delete them (the form is at the end of the table).
    selectable = state.stream["type"] == "Mutable" and has_role(request, "editor")
    rows = [_row(record_prefix, columns, item, selectable) for item in items]
    next_url = None
    if not at_end:
        next_query = base_query.copy()
        next_query.update(following)
        next_query["shown"] = str(shown + len(rows))
        next_url = f"{request.path}?{next_query.urlencode()}"
    return {
        "rows": rows,
        "next_url": next_url,
        "shown": shown + len(rows),
        "first_page": not shown,
        "call": _request_preview(call, stream_id),
    }


def _request_preview(call, stream_id: str) -> dict:
    """The request the page sent, to read and to copy as curl or as a Python SDK call."""
    return {
        "method": call.method,
        "url": call.url,
        "body": json.dumps(call.body, indent=2, ensure_ascii=False),
        "curl": as_curl(call),
        "python": as_python(call, stream_id),
    }


def _row(record_prefix: str, columns: list[tuple], item: dict, selectable: bool = False) -> str:
    """One table row as HTML, every value escaped; `columns` are (space, container, property, type).
    Plain strings rather than template tags or format_html: a 1000-row page has ten thousand cells."""
    space, external_id = escape(item["space"]), escape(item["externalId"])
    status = escape(item.get("status") or "")
    if status == "deleted":
        name = external_id
    else:
        url = f"{record_prefix}/{quote(item['space'], safe='')}/{quote(item['externalId'], safe='/')}"
        name = f'<a href="{escape(url)}">{external_id}</a>'
        if selectable:
            name += (
                f'<label class="row-select"><input type="checkbox" form="delete-selected" name="record" '
                f'value="{space}:{external_id}"> '
                f'<span class="visually-hidden">Select {space}:{external_id}</span></label>'
            )
    badge = f'<td><span class="badge badge-{status}">{status}</span></td>' if status else ""
    created, updated = iso_time(item["createdTime"]), iso_time(item["lastUpdatedTime"])
    properties = item.get("properties") or {}
    values = (
        browsing.display_value(properties.get(space_id, {}).get(container, {}).get(prop), prop_type)
        for space_id, container, prop, prop_type in columns
    )
    cells = "".join(f"<td>{value_html(value)}</td>" for value in values)
    return mark_safe(
        f'<tr><th scope="row">{name}<br><small class="muted">{space}</small></th>{badge}'
        f'<td><time datetime="{created}" data-local>{created}</time></td>'
        f'<td><time datetime="{updated}" data-local>{updated}</time></td>{cells}</tr>'
    )


def _int(text, default: int) -> int:
    try:
        return max(int(text), 0)
    except (TypeError, ValueError):
        return default


def _view_left(request, stream_id: str) -> str:
    """The browser view the user came from (its Referer, without paging), else the stream's browser."""
    if not browsing.STREAM_ID_RE.match(stream_id):
        return ""
    browser_path = reverse("browser", args=[stream_id])
    referer = urlsplit(request.headers.get("Referer", ""))
    if referer.netloc != request.get_host() or referer.path != browser_path:
        return browser_path
    query = QueryDict(referer.query, mutable=True)
    for name in browsing.PAGING_PARAMETERS:
        query.pop(name, None)
    return f"{browser_path}?{query.urlencode()}"


@require_safe
def record_detail(request, stream_id, space, external_id):
    back = _view_left(request, stream_id)
    context = {
        "nav": "streams",
        "stream_id": stream_id,
        "space": space,
        "external_id": external_id,
        "back_url": back or reverse("home"),
        "streams_url": reverse("home"),
    }
    stream, containers = load_stream(request, stream_id, context)
    if stream is not None:
        context["stream"] = stream
        client = cdf_client(request)
        query = browsing.record_query(space, external_id, stream, containers, now_ms())
        call = client.describe_request("records/filter", stream_id=stream_id, body=query)
        context["curl"] = as_curl(call)
        context["window"] = human_duration(stream["settings"]["limits"].get("maxFilteringInterval"))
        try:
            items = client.filter_records(stream_id, query)["items"]
        except CdfError as error:
            context["error"] = error_context(error)
        else:
            context["records"] = [
                {
                    "created": iso_time(item["createdTime"]),
                    "updated": iso_time(item["lastUpdatedTime"]),
                    "groups": browsing.record_groups(item, containers),
                    "raw": json.dumps(item, indent=2, ensure_ascii=False),
                }
                for item in items
            ]
    return render_page(request, "records/record.html", context, status=404 if context.get("missing") else 200)


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


@require_safe
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
