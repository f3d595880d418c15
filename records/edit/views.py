"""Writing records: edit (upsert) with a preview and conflict detection, create (upsert or ingest),
and delete with a confirmation. Editors only, checked here whatever the pages show; every write is
logged in the audit log. The logic lives in record_form.py; these views read, write and render."""

import contextlib
import itertools
import time

from django.contrib import messages
from django.core import signing
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from ..audit.log import record_write
from ..browse import browsing
from ..browse.views import load_stream, now_ms
from ..cdf import CdfError, as_curl
from ..models import AuditEntry
from ..web.auth import cdf_client
from ..web.presentation import error_context, iso_time
from ..web.views import refuse, role_required
from . import record_form

# How long a page waits for CDF to show a write it accepted (records are written asynchronously).
REREAD_SECONDS = 5.0
REREAD_PAUSE = 0.2


def record_url(stream_id: str, space: str, external_id: str) -> str:
    return reverse("record", args=[stream_id, space, external_id])


def _read(client, stream: dict, containers: list[dict], space: str, external_id: str) -> dict | None:
    return _read_records(client, stream, containers, [(space, external_id)]).get((space, external_id))


def _read_records(client, stream: dict, containers: list[dict], ids: list[tuple[str, str]]) -> dict:
    """The records with these (space, externalId) ids, by id, with the values of every container: a
    read names at most 10 containers, and an upsert of a record read with fewer would drop the others'
    values. Ids with no record (or that no record can have) are left out; of several records with one
    id (an immutable stream), the first one read."""
    found: dict[tuple[str, str], dict] = {}
    by_space: dict[str, list[str]] = {}
    for space, external_id in ids:
        if record_form.is_record_id(space, external_id):
            by_space.setdefault(space, []).append(external_id)
    for space, external_ids in by_space.items():
        for group in itertools.batched(dict.fromkeys(external_ids), browsing.READ_IDS):
            for start in range(0, max(len(containers), 1), browsing.MAX_SOURCES):
                batch = containers[start : start + browsing.MAX_SOURCES]
                query = browsing.records_query(space, list(group), stream, batch, now_ms())
                _add_read(found, client.filter_records(stream["externalId"], query)["items"], first=not start)
    return found


def _add_read(found: dict, items: list[dict], first: bool) -> None:
    """Records read with one batch of containers: the first batch finds them, each later one adds its
    values to the record with the same id and creation time."""
    for item in items:
        key = (item["space"], item["externalId"])
        if first:
            found.setdefault(key, item)
        elif key in found and item["createdTime"] == found[key]["createdTime"]:
            browsing.add_container_values(found[key], item)


def _reread(client, stream, containers, space, external_id, written_after: int | None, gone=False):
    """The record as CDF has it once it shows the write (bounded wait): its lastUpdatedTime past
    `written_after`, or gone after a delete."""
    deadline = time.monotonic() + REREAD_SECONDS
    while True:
        record = _read(client, stream, containers, space, external_id)
        if (gone and record is None) or (
            not gone and record and record["lastUpdatedTime"] > (written_after or 0)
        ):
            return record
        if time.monotonic() > deadline:
            return record
        time.sleep(REREAD_PAUSE)


def _immutable_refusal(request, stream_id: str, action: str):
    return refuse(
        request,
        f"Stream {stream_id} is immutable: its records cannot be {action}. Write a corrected copy instead "
        "(a new record, from the record's page).",
    )


@require_http_methods(["GET", "POST"])
@role_required("editor")
def edit_record(request, stream_id, space, external_id):
    context = {
        "nav": "streams",
        "stream_id": stream_id,
        "space": space,
        "external_id": external_id,
        "record_url": record_url(stream_id, space, external_id),
        "action_url": request.path,
        "editing": True,
        "mode_urls": _mode_urls(request),
    }
    stream, containers = load_stream(request, stream_id, context)
    if stream is None:
        return render(request, "records/edit.html", context, status=404 if context.get("missing") else 502)
    if stream["type"] != "Mutable":
        return _immutable_refusal(request, stream_id, "edited")
    client = cdf_client(request)
    try:
        record = _read(client, stream, containers, space, external_id)
    except CdfError as error:
        context["error"] = error_context(error)
        return render(request, "records/edit.html", context, status=502)
    if record is None:
        context["missing"] = f"There is no record {space}:{external_id} in stream {stream_id}."
        return render(request, "records/edit.html", context, status=404)
    context["record"] = {"updated": iso_time(record["lastUpdatedTime"])}
    undefined = record_form.undefined_properties(record_form.record_sources(record), containers)
    if undefined:
        context["missing"] = (
            f"This record has values its container definitions do not list ({', '.join(undefined)}); "
            "saving it from a form would drop them, so it cannot be edited here."
        )
        return render(request, "records/edit.html", context, status=409)
    if request.method == "GET":
        current = record_form.record_sources(record)
        form = record_form.form_from_sources(space, external_id, current, containers)
        base = record_form.sign_base(record["lastUpdatedTime"], current)
        if request.GET.get("mode") == "json":
            context["raw_json"] = record_form.sources_json(current)
        return _form_page(request, context, form, base, containers)
    return _submitted(request, context, stream, containers, client, record)


@require_http_methods(["GET", "POST"])
@role_required("editor")
def new_record(request, stream_id):
    context = {"nav": "streams", "stream_id": stream_id, "action_url": request.path, "editing": False}
    stream, containers = load_stream(request, stream_id, context)
    if stream is None:
        return render(request, "records/edit.html", context, status=404 if context.get("missing") else 502)
    context.update(immutable=stream["type"] != "Mutable", browser_url=reverse("browser", args=[stream_id]))
    if request.method == "POST":
        return _submitted(request, context, stream, containers, cdf_client(request))
    known = {record_form.container_ref(c): c for c in containers}
    copy_of = request.GET.get("copy_of", "")
    if copy_of:
        # "Write a corrected copy": the new record starts from the old one's values.
        copy_space, copy_id = record_form.split_direct(copy_of)
        try:
            original = _read(cdf_client(request), stream, containers, copy_space, copy_id)
        except CdfError as error:
            context["error"] = error_context(error)
            return render(request, "records/edit.html", context, status=502)
        if original:
            values = record_form.record_sources(original)
            form = record_form.form_from_sources(copy_space, copy_id, values, containers)
            context.update(copy_of=copy_of, mode_urls=_mode_urls(request))
            if request.GET.get("mode") == "json":
                context["raw_json"] = record_form.sources_json(values)
            return _form_page(request, context, form, record_form.sign_base(None, None), containers)
    chosen = [ref for ref in request.GET.getlist("ref") if ref in known]
    if not chosen:
        context["all_containers"] = [
            {"ref": ref, "name": container.get("name") or container["externalId"]}
            for ref, container in known.items()
        ]
        return render(request, "records/edit_pick.html", context)
    form = record_form.new_form([known[ref] for ref in chosen])
    context["mode_urls"] = _mode_urls(request)
    if request.GET.get("mode") == "json":
        # Every property of the chosen containers, to be filled in (or left out).
        blank = {ref: dict.fromkeys(known[ref]["properties"]) for ref in chosen}
        context["raw_json"] = record_form.sources_json(blank)
    return _form_page(request, context, form, record_form.sign_base(None, None), containers)


def _mode_urls(request) -> dict:
    """This page with the form, and with the raw JSON of the sources instead."""
    query = request.GET.copy()
    query.pop("mode", None)
    form_url = f"{request.path}?{query.urlencode()}" if query else request.path
    query["mode"] = "json"
    return {"form": form_url, "json": f"{request.path}?{query.urlencode()}"}


def _form_page(request, context, form, base: str, containers, status=200):
    shown = {section.ref for section in form.sections}
    context.update(
        form=form,
        base=base,
        addable=[
            {"ref": record_form.container_ref(c), "name": c.get("name") or c["externalId"]}
            for c in containers
            if record_form.container_ref(c) not in shown
        ],
    )
    return render(request, "records/edit.html", context, status=status)


def _submitted(request, context, stream, containers, client, record: dict | None = None):
    """A POST of the editor: a list action, the preview, the save, or the choice after a conflict.
    `record` is the edited record as this request read it (None when creating one)."""
    record_exists = record is not None
    post = request.POST
    try:
        base_updated, base_sources = record_form.read_base(post.get("base", ""))
    except signing.BadSignature:
        return refuse(
            request, "This form's hidden fields were changed or are not from this app; open it again."
        )
    known = {record_form.container_ref(c): c for c in containers}
    refs = list(dict.fromkeys(post.getlist("ref")))
    if any(ref not in known for ref in refs):
        return refuse(request, "The form names a container that is not a record container of this project.")
    if post.get("action") == "add-source" and post.get("add_source") in known:
        refs.append(post["add_source"])
    if post.get("mode") == "json":
        sources, problem = record_form.check_sources_json(post.get("sources_json", ""), containers)
        if sources is None:
            context.update(raw_json=post.get("sources_json", ""), raw_json_error=problem)
            form = record_form.form_from_post(post, containers, refs)
            return _form_page(request, context, form, post["base"], containers, status=400)
        form = record_form.form_from_sources(
            post.get("space", ""), post.get("externalId", ""), sources, containers
        )
    else:
        form = record_form.form_from_post(post, containers, refs)
        if post.get("action") == "add-source" and post.get("add_source") in known:
            form.sections[-1] = record_form.new_form([known[post["add_source"]]]).sections[0]
    if record_exists:
        # The ids of an edited record are those of its address, whatever the form says.
        form.space, form.external_id = context["space"], context["external_id"]
    if record_form.is_list_action(post) or post.get("action") == "add-source" or post.get("step") == "edit":
        return _form_page(request, context, form, post["base"], containers)

    record_form.check_ids(form)
    sources = record_form.form_sources(form)
    if sources is not None:
        try:
            wanted = record_form.direct_spaces(sources, containers) | {form.space}
            existing = {s["space"] for s in client.retrieve_spaces(sorted(wanted))}
        except CdfError as error:
            context["error"] = error_context(error)
            return _form_page(request, context, form, post["base"], containers, status=502)
        record_form.mark_unknown_spaces(form, sources, containers, existing)
    if sources is None or not form.valid:
        context["problems"] = True
        return _form_page(request, context, form, post["base"], containers, status=400)

    immutable = stream["type"] != "Mutable"
    if not record_exists and not immutable and post.get("step") == "preview":
        # Creating on a mutable stream is an upsert: say whether it replaces a record.
        try:
            existing_record = _read(client, stream, containers, form.space, form.external_id)
        except CdfError as error:
            context["error"] = error_context(error)
            return _form_page(request, context, form, post["base"], containers, status=502)
        if existing_record:
            base_updated = existing_record["lastUpdatedTime"]
            base_sources = record_form.record_sources(existing_record)
        else:
            base_updated, base_sources = None, None
        post_base = record_form.sign_base(base_updated, base_sources)
    else:
        post_base = post["base"]

    if post.get("step") == "resolve":
        return _resolve(request, context, form, sources, base_sources, containers, stream)
    if post.get("step") != "save":
        return _preview(request, context, form, sources, base_sources, post_base, containers, stream)

    if not immutable:
        # Upsert replaces the whole record: stop if anyone wrote it since the form was opened. An
        # edited record was read at the start of this request; the id of a new one is read now.
        current = record
        if not record_exists:
            try:
                current = _read(client, stream, containers, form.space, form.external_id)
            except CdfError as error:
                context["error"] = error_context(error)
                return _form_page(request, context, form, post["base"], containers, status=502)
        theirs_updated = current["lastUpdatedTime"] if current else None
        theirs = record_form.record_sources(current) if current else None
        if theirs_updated != base_updated or theirs != base_sources:
            return _conflict_page(
                request, context, form, sources, base_sources, theirs, theirs_updated, containers
            )
    return _write(request, context, form, sources, base_sources, base_updated, stream, containers, client)


def _resolve(request, context, form, sources, base_sources, containers, stream):
    """After a conflict: the user's changes merged into the current record with their choices, to
    review; the current record becomes the base the save checks against."""
    try:
        theirs_updated, theirs = record_form.read_base(request.POST.get("theirs", ""))
    except signing.BadSignature:
        return refuse(
            request, "This form's hidden fields were changed or are not from this app; open it again."
        )
    rows = record_form.conflicts(base_sources or {}, sources, theirs or {}, containers)
    choices = {row["key"]: request.POST.get(f"choose:{row['key']}") for row in rows if row["both"]}
    if any(choice not in ("mine", "theirs") for choice in choices.values()):
        context["choice_missing"] = True
        return _conflict_page(
            request, context, form, sources, base_sources, theirs, theirs_updated, containers
        )
    merged = record_form.merge(base_sources or {}, sources, theirs or {}, choices)
    form = record_form.form_from_sources(form.space, form.external_id, merged, containers)
    base = record_form.sign_base(theirs_updated, theirs)
    return _preview(request, context, form, merged, theirs, base, containers, stream)


def _preview(request, context, form, sources, base_sources, base: str, containers, stream):
    immutable = stream["type"] != "Mutable"
    endpoint = "records/ingest" if immutable else "records/upsert"
    item = record_form.write_item(form.space, form.external_id, sources)
    call = cdf_client(request).describe_request(
        endpoint, stream_id=stream["externalId"], body={"items": [item]}
    )
    context.update(
        form=form,
        fields=record_form.form_fields(form),
        base=base,
        diff=record_form.diff(base_sources or {}, sources, containers),
        curl=as_curl(call),
        replaces=base_sources is not None,
        immutable=immutable,
    )
    return render(request, "records/edit_preview.html", context)


def _conflict_page(request, context, form, sources, base_sources, theirs, theirs_updated, containers):
    context.update(
        form=form,
        fields=record_form.form_fields(form),
        base=record_form.sign_base(None, None) if base_sources is None else request.POST["base"],
        theirs=record_form.sign_base(theirs_updated, theirs),
        deleted=theirs is None,
        rows=record_form.conflicts(base_sources or {}, sources, theirs or {}, containers),
        theirs_updated=iso_time(theirs_updated) if theirs_updated else "",
    )
    if theirs is None:
        # Deleted since: saving again writes this version as a new record.
        context["base"] = record_form.sign_base(None, None)
    return render(request, "records/edit_conflict.html", context, status=409)


def _write(request, context, form, sources, base_sources, base_updated, stream, containers, client):
    stream_id = stream["externalId"]
    item = record_form.write_item(form.space, form.external_id, sources)
    if stream["type"] != "Mutable":
        action, result = AuditEntry.Action.INGEST, client.ingest_records(stream_id, [item])
    else:
        action = AuditEntry.Action.UPDATE if base_sources is not None else AuditEntry.Action.CREATE
        result = client.upsert_records(stream_id, [item])
    outcome = result.outcomes[0]
    error = result.errors[0] if result.errors else None
    record_write(
        request.user,
        stream_id,
        action,
        [_logged(outcome, base_sources, sources)],
        request_ids=result.request_ids,
    )
    if not outcome.ok:
        if (
            error is not None
            and error.status in (400, 422)
            and record_form.place_cdf_message(form, sources, error.message)
        ):
            context["problems"] = True
            return _form_page(request, context, form, request.POST["base"], containers, status=400)
        context.update(
            form=form,
            fields=record_form.form_fields(form),
            base=request.POST["base"],
            outcomes=result.outcomes,
            error=error_context(error) if error else None,
            failure_note=_failure_note(outcome.code, stream["type"] != "Mutable"),
        )
        return render(
            request, "records/edit_result.html", context, status=502 if outcome.code in (500, 503) else 409
        )
    # The write succeeded; should reading it back fail, the record page says so when it reads again.
    with contextlib.suppress(CdfError):
        _reread(client, stream, containers, form.space, form.external_id, base_updated)
    verb = {"ingest": "written", "create": "created", "update": "saved"}[action]
    messages.success(request, f"Record {form.space}:{form.external_id} was {verb}.")
    return redirect(record_url(stream_id, form.space, form.external_id))


def _logged(outcome, before: dict | None, after: dict | None) -> dict:
    """A record of an audit entry: its outcome and its per-property changes (a record as read, or
    `sources`, on each side)."""
    if before is not None and "properties" in before:
        before = record_form.record_sources(before)
    return {
        "space": outcome.space,
        "externalId": outcome.external_id,
        "succeeded": outcome.ok,
        "error": "" if outcome.ok else f"{outcome.code} {outcome.message}".strip(),
        "changes": record_form.changes(before or {}, after or {}),
    }


def _failure_note(code: int | None, immutable: bool) -> str:
    """What a failed record's code means for the user."""
    if code == 409:
        if immutable:
            return "CDF says this record already exists (409)."
        return (
            "CDF says another request was changing this record at the same moment (409). Nothing was "
            "written; open the record again to see its current values."
        )
    if code == 422:
        return (
            "CDF refused the request (422): the same record twice in one request, or a stream that does "
            "not take this write."
        )
    if code in (500, 503):
        return "CDF could not write this record just now; nothing was changed for it. Retry the failed one."
    return ""


@require_POST
@role_required("editor")
def delete_records(request, stream_id):
    """Delete the records named `record` (space:externalId, repeated): first a confirmation naming
    them, then the delete, each record's outcome, and a retry of the failed ones."""
    context = {"nav": "streams", "stream_id": stream_id, "browser_url": reverse("browser", args=[stream_id])}
    stream, containers = load_stream(request, stream_id, context)
    if stream is None:
        return render(request, "records/delete.html", context, status=404 if context.get("missing") else 502)
    if stream["type"] != "Mutable":
        return _immutable_refusal(request, stream_id, "deleted")
    ids = [
        record_form.split_direct(text)
        for text in dict.fromkeys(request.POST.getlist("record"))
        if ":" in text
    ]
    if not ids:
        messages.info(request, "Select the records to delete first.")
        return redirect("browser", stream_id)
    client = cdf_client(request)
    try:
        found = _read_records(client, stream, containers, ids)
    except CdfError as error:
        context["error"] = error_context(error)
        return render(request, "records/delete.html", context, status=502)
    context["records"] = [
        {"space": s, "externalId": x, "exists": (s, x) in found, "url": record_url(stream_id, s, x)}
        for s, x in ids
    ]
    if request.POST.get("confirm") != "yes":
        return render(request, "records/delete.html", context)
    result = client.delete_records(stream_id, [{"space": s, "externalId": x} for s, x in ids])
    record_write(
        request.user,
        stream_id,
        AuditEntry.Action.DELETE,
        [
            _logged(outcome, found.get((outcome.space, outcome.external_id)), None)
            for outcome in result.outcomes
        ],
        request_ids=result.request_ids,
    )
    if result.ok:
        messages.success(
            request,
            f"Deleted {len(ids)} record{'s' if len(ids) != 1 else ''}: "
            + ", ".join(f"{s}:{x}" for s, x in ids)
            + ".",
        )
        return redirect("browser", stream_id)
    context.update(
        done=True,
        succeeded=result.succeeded,
        failed=result.failed,
        error=error_context(result.errors[0]) if result.errors else None,
    )
    return render(request, "records/delete.html", context, status=502)
