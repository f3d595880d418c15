"""Bulk pages: upload an import file, map its columns, dry run and commit it as a job, follow the job's
progress (htmx polling), download its invalid or failed rows; export the browser's view."""

import itertools
import json
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect

from cdftypes.values import InvalidValue

from .. import schema
from ..browse import browsing
from ..browse.views import load_stream
from ..cdf import CdfError
from ..edit import record_form
from ..jobs import control, files, progress, runner
from ..models import Job
from ..query import filter_tree, summary
from ..web.auth import cdf_client, has_role
from ..web.presentation import error_context
from ..web.views import refuse, render_page, role_required
from . import exporting, importing

OUTCOME_LABELS = {
    "create": "to create",
    "update": "to update",
    "unchanged": "unchanged",
    "invalid": "invalid",
    "created": "created",
    "updated": "updated",
    "failed": "failed",
    "exported": "exported",
}



# --- upload ---------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@role_required("editor")
def import_upload(request, stream_id):
    context = {"nav": "streams", "stream_id": stream_id, "formats": importing.FORMATS}
    if refusal := runner.cannot_run():
        context["refused"] = refusal
        return render_page(
            request, "records/import.html", context, status=400 if request.method == "POST" else 200
        )
    stream, containers = load_stream(request, stream_id, context)
    if stream is None:
        status = 404 if context.get("missing") else 200
        return render_page(request, "records/import.html", context, status=status)
    context["max_mb"] = settings.IMPORT_MAX_MEGABYTES
    if request.method != "POST":
        return render_page(request, "records/import.html", context)
    upload = request.FILES.get("file")
    chosen = request.POST.get("format", "")
    context["chosen_format"] = chosen
    problem, job = "", None
    if upload is None:
        problem = "Choose a file to import."
    elif upload.size == 0:
        problem = f"{upload.name} is empty."
    elif upload.size > settings.IMPORT_MAX_MEGABYTES * 1024 * 1024:
        problem = (
            f"{upload.name} is {upload.size / 1024 / 1024:.1f} MB; files up to "
            f"{settings.IMPORT_MAX_MEGABYTES} MB can be imported. Split it into smaller files."
        )
    elif chosen and chosen not in importing.FORMATS:
        problem = f"Unknown format {chosen!r}."
    else:
        try:
            job = _saved_upload(request, stream, containers, upload, chosen)
        except importing.FileProblem as error:
            problem = f"{upload.name}: {error}"
    if problem:
        context["problem"] = problem
        return render_page(request, "records/import.html", context, status=400)
    return redirect("import-setup", job_id=job.id)


def _saved_upload(request, stream, containers, upload, chosen: str) -> Job:
    """Keep the upload under MEDIA_ROOT and read its first rows for the mapping; FileProblem if the
    file cannot be read as the format says. A file refused for any reason is removed again."""
    name = f"imports/{uuid.uuid4().hex}{Path(upload.name).suffix.lower()[:10]}"
    path = files.media_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("wb") as out:
            for piece in upload.chunks():
                out.write(piece)
        with path.open("rb") as binary:
            kind = chosen or importing.detect_format(upload.name, binary.read(1024))
        with path.open("rb") as binary:
            columns, _ = importing.sample_columns(importing.read_rows(binary, kind))
        return Job.objects.create(
            user=request.user,
            stream=stream["externalId"],
            kind=Job.Kind.IMPORT,
            file=name,
            file_name=upload.name[:255],
            format=kind,
            mode="ingest" if stream["type"] == "Immutable" else "upsert",
            settings={"columns": columns, "mapping": importing.auto_mapping(columns, containers)},
        )
    except BaseException:
        path.unlink(missing_ok=True)
        raise


# --- mapping, preview, dry run --------------------------------------------------------------------


def _job(job_id) -> Job:
    return get_object_or_404(Job, id=job_id)


@require_http_methods(["GET", "POST"])
@role_required("editor")
def import_setup(request, job_id):
    job = _job(job_id)
    if job.status != Job.Status.DRAFT:
        return redirect("job", job_id=job.id)
    context = {"nav": "streams", "stream_id": job.stream, "job": job}
    stream, containers = load_stream(request, job.stream, context)
    if stream is None:
        return render_page(request, "records/import_setup.html", context)
    columns = job.settings["columns"]
    if request.method == "POST":
        job.settings = {**job.settings, "mapping": _posted_mapping(request.POST, columns)}
        mode = request.POST.get("mode", job.mode)
        job.mode = mode if mode in ("ingest", "upsert") else job.mode
        job.save(update_fields=["settings", "mode"])
    plan = importing.make_plan(job.settings["mapping"], containers, job.format, columns)
    if job.mode == "upsert" and stream["type"] == "Immutable":
        plan.errors["mode"] = "Upsert is only possible on mutable streams; this stream is immutable."
    if request.method == "POST" and request.POST.get("action") == "dry_run" and plan.valid:
        job.dry_run = True
        runner.enqueue(job)
        if request.htmx:
            # A whole new page, not a fragment of this form.
            return HttpResponseClientRedirect(reverse("job", args=[job.id]))
        return redirect("job", job_id=job.id)
    context.update(
        stream=stream,
        plan=plan,
        mapping=job.settings["mapping"],
        column_rows=_column_rows(columns, job.settings["mapping"], containers),
        preview=_preview(job, plan),
        upsert_allowed=stream["type"] != "Immutable",
        format_label=importing.FORMATS[job.format],
    )
    template = "records/import_setup.html"
    if request.htmx and request.POST.get("action") == "preview":
        template += "#setup"
    refused = request.method == "POST" and not plan.valid
    return render_page(request, template, context, status=400 if refused else 200)


def _posted_mapping(post, columns: list[str]) -> dict:
    return {
        "columns": {column: post.get(f"map-{index}", "") for index, column in enumerate(columns)},
        "space": post.get("space", "").strip(),
        "space_column": post.get("space_column", ""),
        "id_column": post.get("id_column", ""),
        "id_template": post.get("id_template", "").strip() if not post.get("id_column") else "",
    }


def _column_rows(columns, mapping, containers) -> list[dict]:
    choices = list(importing.targets(containers))
    return [
        {"index": index, "name": column, "target": mapping["columns"].get(column, ""), "choices": choices}
        for index, column in enumerate(columns)
    ]


def _preview(job: Job, plan: importing.Plan) -> list[dict]:
    """The first rows as they will be sent, or the reason each cannot be."""
    rows = []
    try:
        for row in itertools.islice(files.open_rows(job), importing.PREVIEW_ROWS):
            entry = {"number": row.number, "cells": row.cells}
            if plan.valid:
                try:
                    entry["record"] = importing.record_of(plan, row)
                    entry["values"] = importing.stored_properties(entry["record"])
                except importing.RowInvalid as error:
                    entry["problem"] = str(error)
            rows.append(entry)
    except importing.FileProblem as error:
        rows.append({"number": len(rows) + 1, "cells": {}, "problem": str(error)})
    return rows


# --- the job page ---------------------------------------------------------------------------------


def _refused(request, job: Job):
    """The refusal for a user who may not see or steer this job (None when they may): editors see
    every job of the app, viewers their own exports."""
    if has_role(request, "editor") or (job.kind == Job.Kind.EXPORT and job.user_id == request.user.id):
        return None
    return refuse(
        request,
        f"This job is not yours, and seeing others' jobs needs the editor role; you are a {request.role}.",
    )


@require_safe
def job_page(request, job_id):
    job = _job(job_id)
    if refusal := _refused(request, job):
        return refusal
    if job.status == Job.Status.DRAFT:
        return redirect("import-setup", job_id=job.id)
    context = {"nav": "streams", "stream_id": job.stream, "job": job, **_report(job)}
    template = "records/job.html#status" if request.htmx else "records/job.html"
    return render_page(request, template, context)


def _report(job: Job) -> dict:
    counts = [(OUTCOME_LABELS.get(outcome, outcome), count) for outcome, count in sorted(job.counts.items())]
    return {
        "progress": progress.progress(job),
        "counts": counts,
        "active": job.status in Job.ACTIVE,
        "finished": job.status in Job.FINISHED,
        "changes": job.rows.filter(outcome__in=["update", "updated"])[:20],
        "has_invalid": job.rows.filter(outcome="invalid").exists(),
        "has_failed": job.rows.filter(outcome="failed").exists(),
        "commit": job.dry_run and job.status == Job.Status.SUCCEEDED and _writes(job),
        "browser_url": reverse("browser", args=[job.stream]),
    }


def _writes(job: Job) -> bool:
    return bool(job.counts.get("create") or job.counts.get("update"))


@require_POST
def job_control(request, job_id):
    job = _job(job_id)
    if refusal := _refused(request, job):
        return refusal
    action = request.POST.get("action")
    controls = {"pause": control.pause, "resume": runner.resume, "cancel": control.cancel}
    if action in controls:
        controls[action](job)
    return redirect("job", job_id=job.id)


@require_POST
@role_required("editor")
def job_commit(request, job_id):
    """Write what a finished dry run found, as a new job over the same file and mapping."""
    dry_run = _job(job_id)
    if not (dry_run.dry_run and dry_run.status == Job.Status.SUCCEEDED):
        return redirect("job", job_id=dry_run.id)
    commit = Job.objects.create(
        user=request.user,
        stream=dry_run.stream,
        kind=dry_run.kind,
        dry_run=False,
        file=dry_run.file,
        file_name=dry_run.file_name,
        format=dry_run.format,
        settings=dry_run.settings,
        mode=dry_run.mode,
        total=dry_run.total,
        dry_run_of=dry_run,
    )
    runner.enqueue(commit)
    return redirect("job", job_id=commit.id)


@require_safe
@role_required("editor")
def job_rows(request, job_id, outcome):
    """The invalid or failed rows as a file of the job's own format, with the reason in a last
    column, ready to fix and upload again."""
    job = _job(job_id)
    if outcome not in ("invalid", "failed"):
        return HttpResponse(status=404)
    rows = job.rows.filter(outcome=outcome).values_list("row", "reason", "data")
    base = Path(job.file_name).stem or "import"
    if job.format == "csv":
        columns = job.settings.get("columns", [])
        body = _csv_rows(columns, rows.iterator())
        name, content_type = f"{base}-{outcome}.csv", "text/csv; charset=utf-8"
    else:
        body = (
            json.dumps({**(data or {}), "import_error": f"row {row}: {reason}"}, ensure_ascii=False) + "\n"
            for row, reason, data in rows.iterator()
        )
        name, content_type = f"{base}-{outcome}.jsonl", "application/x-ndjson; charset=utf-8"
    return _attachment(body, name, content_type)


REPORT_COLUMNS = ["row", "space", "externalId", "outcome", "reason", "changes"]


@require_safe
@role_required("editor")
def job_report(request, job_id):
    """Every row of an import or bulk edit with its outcome, the reason of an invalid or failed one and
    each property's before and after for an update: the whole account of the job, as CSV."""
    job = _job(job_id)
    if job.kind == Job.Kind.EXPORT:
        raise Http404("An export has no rows to report.")
    rows = job.rows.order_by("row").values_list("row", "space", "external_id", "outcome", "reason", "changes")
    lines = (
        exporting.csv_line([*fields, json.dumps(changes, ensure_ascii=False)])
        for *fields, changes in rows.iterator()
    )
    body = itertools.chain([exporting.csv_line(REPORT_COLUMNS)], lines)
    base = Path(job.file_name).stem if job.kind == Job.Kind.IMPORT else f"{job.stream}-bulk-edit"
    name = f"{base}-{'dry-run' if job.dry_run else 'commit'}-report.csv"
    return _attachment(body, name, "text/csv; charset=utf-8")


def _attachment(body, name: str, content_type: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(body, content_type=content_type)
    # The name comes from the uploaded file's: quoted or percent-encoded as RFC 6266 says.
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


def _csv_rows(columns, rows):
    yield exporting.csv_line([*columns, "import_error"])
    for row, reason, data in rows:
        cells = data or {}
        cells = [*(str(cells.get(column, "")) for column in columns), f"row {row}: {reason}"]
        yield exporting.csv_line(cells)


# --- export ----------------------------------------------------------------------------------------


@require_safe
def export(request, stream_id):
    """The records of the browser's view (its query string), every page of the change feed, as CSV
    or JSON Lines; values written so that an import reads them back equal."""
    kind = request.GET.get("format", "csv")
    context = {"nav": "streams", "stream_id": stream_id}
    stream, containers = load_stream(request, stream_id, context)
    if stream is None:
        status = 404 if context.get("missing") else 502
        return render_page(request, "records/export_error.html", context, status=status)
    state = browsing.parse_state(request.GET, stream, containers)
    if kind not in exporting.FORMATS or not state.valid:
        unknown = f"Unknown export format {kind!r}: choose csv or jsonl."
        context["problems"] = list(state.errors.values()) or [unknown]
        return render_page(request, "records/export_error.html", context, status=400)
    client = cdf_client(request)
    count = _count(client, stream_id, state)
    if count is not None and count > settings.EXPORT_STREAM_LIMIT and not runner.cannot_run():
        job = Job.objects.create(
            user=request.user,
            stream=stream_id,
            kind=Job.Kind.EXPORT,
            dry_run=False,
            format=kind,
            file_name=f"{stream_id}.{kind}",
            total=count,
            settings={"query": state.query().urlencode()},
        )
        runner.enqueue(job)
        return redirect("job", job_id=job.id)
    try:
        # The first page is read now, so that a CDF error shows as a page rather than a broken file.
        pages = exporting.pages(client, stream_id, state)
        first = next(pages)
    except CdfError as error:
        context["error"] = error_context(error)
        return render_page(request, "records/export_error.html", context, status=502)
    body = exporting.write(kind, exporting.export_columns(state), _chain(first, pages))
    return _attachment(body, f"{stream_id}.{kind}", exporting.FORMATS[kind][1])


def _count(client, stream_id: str, state) -> int | None:
    """How many records the view holds (None when CDF cannot say)."""
    body, _ = browsing.count_query(state, int(time.time() * 1000))
    try:
        return client.aggregate_records(stream_id, body)["aggregates"]["count"]["count"]
    except CdfError:
        return None


@require_safe
def job_download(request, job_id):
    """The file a finished export job wrote."""
    job = _job(job_id)
    if refusal := _refused(request, job):
        return refusal
    if job.kind != Job.Kind.EXPORT or job.status != Job.Status.SUCCEEDED:
        raise Http404("This job has no file to download.")
    content_type = exporting.FORMATS[job.format][1]
    return FileResponse(
        files.media_path(job.file).open("rb"),
        as_attachment=True,
        filename=job.file_name,
        content_type=content_type,
    )


def _chain(first, rest):
    yield first
    yield from rest


# --- bulk edit ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@role_required("editor")
def bulk_edit(request, stream_id):
    """Set or clear one property on every record of the browser's view (its query string): a dry run
    job shows the changes, its commit applies them."""
    context = {"nav": "streams", "stream_id": stream_id}
    refused = runner.cannot_run()
    stream, containers = (None, None) if refused else load_stream(request, stream_id, context)
    if stream is not None and stream["type"] == "Immutable":
        refused = "Records of an immutable stream cannot be changed, so they cannot be edited in bulk."
    if refused or stream is None:
        context["refused"] = refused
        status = 400 if refused else 404 if context.get("missing") else 200
        return render_page(request, "records/job_bulk_edit.html", context, status=status)
    view = request.GET if request.method == "GET" else QueryDict(request.POST.get("query", ""))
    selecting = request.method == "POST" and "select" in request.POST
    if selecting:
        # "Bulk edit selected" under the record table: the view narrowed to the ticked rows.
        ticked = [record_form.split_direct(text) for text in request.POST.getlist("record") if ":" in text]
        if not ticked:
            messages.info(request, "Select the records to edit first.")
            return redirect(f"{reverse('browser', args=[stream_id])}?{view.urlencode()}")
        view = browsing.with_selection(view, ticked)
    state = browsing.parse_state(view, stream, containers)
    choices = {
        column.key: column
        for ref in state.sources
        for column in browsing.container_columns(
            next(c for c in containers if browsing.container_ref(c) == ref)
        )
    }
    context.update(
        state=state,
        query=state.query().urlencode(),
        browser_url=f"{reverse('browser', args=[stream_id])}?{state.query().urlencode()}",
        choices=choices.values(),
        values={"property": request.POST.get("property", ""), "value": request.POST.get("value", "")},
        clear=request.POST.get("clear") == "on",
        errors={},
        filter_summary=summary.summary(state.tree, containers) if state.tree != filter_tree.EMPTY else "",
    )
    if not state.valid:
        context["errors"]["view"] = " ".join(state.errors.values())
    if request.method != "POST" or selecting or not state.valid:
        status = 400 if not state.valid else 200
        return render_page(request, "records/job_bulk_edit.html", context, status=status)
    errors, column = context["errors"], choices.get(context["values"]["property"])
    value = None
    if column is None:
        errors["property"] = "Choose one of the properties of the view's containers."
    elif not context["clear"]:
        try:
            value = schema.parse_text(column.type, context["values"]["value"], "the new value")
        except InvalidValue as error:
            errors["value"] = str(error)
    if errors:
        return render_page(request, "records/job_bulk_edit.html", context, status=400)
    action = "clear" if context["clear"] else "set"
    job = Job.objects.create(
        user=request.user,
        stream=stream_id,
        kind=Job.Kind.BULK_EDIT,
        dry_run=True,
        mode="upsert",
        file_name=f"{action} {column.key}",
        settings={
            "query": context["query"],
            "property": column.key,
            "value": value,
            "clear": context["clear"],
        },
    )
    runner.enqueue(job)
    return redirect("job", job_id=job.id)


JOBS_LISTED = 100


@require_safe
def job_list(request):
    """The latest jobs the user may see, newest first: every job for editors, their own exports for
    viewers (as on a job's own page)."""
    visible = Job.objects.select_related("user")
    if not has_role(request, "editor"):
        visible = visible.filter(kind=Job.Kind.EXPORT, user=request.user)
    context = {"nav": "jobs", "jobs": visible[:JOBS_LISTED], "limit": JOBS_LISTED}
    return render_page(request, "records/jobs.html", context)
