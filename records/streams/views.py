"""The streams page, and creating and deleting streams: admins only, whose CDF access allows it,
checked here in the views whatever the pages show."""

import re

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from ..cdf import CdfBadRequestError, CdfConflictError, CdfError, CdfNotFoundError
from ..web.access import missing_capability
from ..web.auth import cdf_client, has_role
from ..web.presentation import error_context, human_duration
from ..web.views import capability_required, render_page, role_required
from .summary import TYPE_NOTES, settings_summary, stream_row

# The stream templates CDF documents, with the settings a stream created from them gets, in the
# shape of a stream's own `type` and `settings`. They mirror CDF's documented templates (and the
# emulator's values for them); CDF's alpha "list stream templates" endpoint is not used. A project
# may have other templates, which CDF answers for: an unknown one comes back as a 400.
TEMPLATES = {
    "BasicLiveData": {
        "purpose": "For live data that changes: records are updated and deleted in place.",
        "type": "Mutable",
        "settings": {
            "lifecycle": {"retainedAfterSoftDelete": "P42D"},
            "limits": {
                "maxRecordsTotal": {"provisioned": 5_000_000},
                "maxGigaBytesTotal": {"provisioned": 50},
            },
        },
    },
    "BasicArchive": {
        "purpose": "For large volumes written once and kept, such as history and logs.",
        # CDF lists BasicArchive as official without documenting its type; an archive is immutable.
        "type": "Immutable",
        "settings": {
            "lifecycle": {"retainedAfterSoftDelete": "P42D"},
            "limits": {
                "maxRecordsTotal": {"provisioned": 1_000_000_000},
                "maxGigaBytesTotal": {"provisioned": 1000},
                "maxFilteringInterval": "P365D",
            },
        },
    },
    "ImmutableTestStream": {
        "purpose": "For tests and tutorials: records are removed a week after they are written.",
        "type": "Immutable",
        "settings": {
            "lifecycle": {"retainedAfterSoftDelete": "PT24H", "dataDeletedAfter": "PT168H"},
            "limits": {
                "maxRecordsTotal": {"provisioned": 500_000_000},
                "maxGigaBytesTotal": {"provisioned": 500},
                "maxFilteringInterval": "PT168H",
            },
        },
    },
}

# CDF's rules for stream ids (records-api.md §3.3), checked here so the user hears of a mistake at once.
STREAM_ID_RE = re.compile(r"^[a-z]([a-z0-9_-]{0,98}[a-z0-9])?$")
RESERVED_STREAM_IDS = ("logs", "records")
RESERVED_STREAM_PREFIXES = ("cdf_", "cognite_")


def template_choices() -> list[dict]:
    """The templates as the new-stream page explains them."""
    return [
        {
            "name": name,
            "purpose": template["purpose"],
            "type": template["type"],
            "type_note": TYPE_NOTES[template["type"]],
            **settings_summary(template["settings"]),
        }
        for name, template in TEMPLATES.items()
    ]


class NewStreamForm(forms.Form):
    stream_id = forms.CharField(
        required=True, error_messages={"required": "Stream id: enter an id for the new stream."}
    )
    template = forms.ChoiceField(
        choices=[(name, name) for name in TEMPLATES],
        error_messages={
            "required": "Template: choose the template the stream is created from.",
            "invalid_choice": "Template: %(value)s is not one of " + ", ".join(TEMPLATES) + ".",
        },
    )

    def clean_stream_id(self):
        stream_id = self.cleaned_data["stream_id"]
        if not STREAM_ID_RE.match(stream_id):
            raise forms.ValidationError(
                f"Stream id “{stream_id}”: use 1 to 100 lowercase letters, digits, “_” and “-”, "
                "starting with a letter and ending with a letter or digit."
            )
        if stream_id in RESERVED_STREAM_IDS or stream_id.startswith(RESERVED_STREAM_PREFIXES):
            raise forms.ValidationError(
                f"Stream id “{stream_id}” is reserved by CDF (logs, records, and ids starting with "
                "cdf_ or cognite_)."
            )
        return stream_id


class DeleteStreamForm(forms.Form):
    confirm = forms.CharField(required=False, strip=False)

    def __init__(self, *args, stream_id: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.stream_id = stream_id

    def clean_confirm(self):
        typed = self.cleaned_data["confirm"]
        if typed != self.stream_id:
            raise forms.ValidationError(
                f"Confirmation: type the stream id “{self.stream_id}” exactly to delete it"
                + (f"; you typed “{typed}”." if typed else ".")
            )
        return typed


@require_http_methods(["GET", "POST"])
@role_required("admin")
@capability_required("streamsAcl:CREATE")
def new_stream(request):
    form = NewStreamForm(request.POST if request.method == "POST" else None)
    context = {
        "nav": "streams",
        "form": form,
        "templates": template_choices(),
        "streams_url": reverse("home"),
        "error": None,
    }
    if form.is_valid():
        stream_id = form.cleaned_data["stream_id"]
        try:
            cdf_client(request).create_stream(stream_id, form.cleaned_data["template"])
        except CdfConflictError:
            form.add_error(
                "stream_id",
                f"Stream id “{stream_id}” already exists or was deleted recently; ids of deleted streams "
                "stay reserved for a while (as long as their template says). Choose another id.",
            )
        except CdfBadRequestError as error:
            # CDF names the offending field in its message; most often it is the id.
            field = "template" if "template" in error.message else "stream_id"
            form.add_error(field, f"CDF refused stream “{stream_id}”: {error.message}")
        except CdfError as error:
            context["error"] = error_context(error)
        else:
            messages.success(request, f"Stream {stream_id} was created from {form.cleaned_data['template']}.")
            return redirect("browser", stream_id)
    return render(request, "records/stream_new.html", context)


@require_http_methods(["GET", "POST"])
@role_required("admin")
@capability_required("streamsAcl:DELETE")
def delete_stream(request, stream_id):
    context = {"nav": "streams", "stream_id": stream_id, "streams_url": reverse("home"), "error": None}
    client = cdf_client(request)
    try:
        stream = client.retrieve_stream(stream_id, include_statistics=True)
    except CdfError as error:
        context["error"] = error_context(error)
        status = 404 if isinstance(error, CdfNotFoundError) else 200
        return render(request, "records/stream_delete.html", context, status=status)

    retained = human_duration(stream["settings"]["lifecycle"].get("retainedAfterSoftDelete"))
    form = DeleteStreamForm(request.POST if request.method == "POST" else None, stream_id=stream_id)
    context.update(
        form=form,
        stream=stream,
        retained=retained,
        records=stream["settings"]["limits"]["maxRecordsTotal"].get("consumed", 0),
    )
    if form.is_valid():
        try:
            client.delete_stream(stream_id)
        except CdfError as error:
            context["error"] = error_context(error)
        else:
            messages.success(
                request, f"Stream {stream_id} was deleted. Its id stays reserved for {retained}."
            )
            return redirect("home")
    return render(request, "records/stream_delete.html", context)


@require_safe
def streams_page(request):
    query = request.GET.get("q", "").strip()
    context = {
        "nav": "streams",
        "query": query,
        "rows": [],
        "error": None,
        # Creating and deleting streams is for admins; others see the controls disabled, with the reason.
        "can_manage_streams": has_role(request, "admin"),
    }
    if context["can_manage_streams"]:
        # An admin's CDF access may still not allow it: then the controls are disabled too.
        context["cdf_refusals"] = {
            "create": missing_capability(request, "streamsAcl:CREATE"),
            "delete": missing_capability(request, "streamsAcl:DELETE"),
        }
    try:
        client = cdf_client(request)
        streams = [
            client.retrieve_stream(s["externalId"], include_statistics=True) for s in client.list_streams()
        ]
    except CdfError as error:
        context["error"] = error_context(error)
    else:
        rows = [stream_row(s) for s in sorted(streams, key=lambda s: s["externalId"])]
        context["total"] = len(rows)
        context["rows"] = [r for r in rows if query.lower() in r["id"].lower()] if query else rows
    template = "records/streams.html#stream-table" if request.htmx else "records/streams.html"
    return render_page(request, template, context)
