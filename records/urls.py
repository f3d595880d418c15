from django.urls import path, register_converter
from django.urls.converters import PathConverter, StringConverter

from .audit import views as audit_views
from .browse import views as browse_views
from .bulk import views as bulk_views
from .edit import views as edit_views
from .streams import views as streams_views
from .web import oidc
from .web import views as web_views


# Path parameters without NUL: a path holding one names nothing that can exist (PostgreSQL cannot even
# search for it), so it is a 404 before any view runs.
class SegmentConverter(StringConverter):
    regex = "[^/\x00]+"


class RestConverter(PathConverter):
    regex = "[^\x00]+"


register_converter(SegmentConverter, "segment")
register_converter(RestConverter, "rest")

urlpatterns = [
    path("", streams_views.streams_page, name="home"),
    path("signin/", web_views.signin, name="signin"),
    path("signout/", web_views.signout, name="signout"),
    # AUTH_MODE=oidc; the names are the ones mozilla-django-oidc reverses.
    path("oidc/authenticate/", oidc.SignInView.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", oidc.CallbackView.as_view(), name="oidc_authentication_callback"),
    path("healthz", web_views.health, name="health"),
    # Not under streams/: "new" is a valid stream id, and its records stay at streams/new/.
    path("new-stream/", streams_views.new_stream, name="stream-new"),
    path("streams/<segment:stream_id>/", browse_views.browse, name="browser"),
    path("streams/<segment:stream_id>/delete/", streams_views.delete_stream, name="stream-delete"),
    path("streams/<segment:stream_id>/views/", browse_views.save_view, name="view-save"),
    path("views/<int:pk>/", browse_views.open_view, name="view"),
    path("views/<int:pk>/rename/", browse_views.rename_view, name="view-rename"),
    path("views/<int:pk>/delete/", browse_views.delete_view, name="view-delete"),
    path(
        "streams/<segment:stream_id>/records/<segment:space>/<rest:external_id>",
        browse_views.record_detail,
        name="record",
    ),
    path("streams/<segment:stream_id>/new-record/", edit_views.new_record, name="record-new"),
    path(
        "streams/<segment:stream_id>/edit/<segment:space>/<rest:external_id>",
        edit_views.edit_record,
        name="record-edit",
    ),
    path("streams/<segment:stream_id>/delete-records/", edit_views.delete_records, name="records-delete"),
    path(
        "streams/<segment:stream_id>/history/<segment:space>/<rest:external_id>",
        audit_views.record_history,
        name="record-history",
    ),
    path("audit/", audit_views.audit_log, name="audit"),
    path("streams/<segment:stream_id>/import/", bulk_views.import_upload, name="import"),
    path("streams/<segment:stream_id>/export/", bulk_views.export, name="export"),
    path("streams/<segment:stream_id>/bulk-edit/", bulk_views.bulk_edit, name="bulk-edit"),
    path("imports/<int:job_id>/", bulk_views.import_setup, name="import-setup"),
    path("jobs/", bulk_views.job_list, name="jobs"),
    path("jobs/<int:job_id>/", bulk_views.job_page, name="job"),
    path("jobs/<int:job_id>/control/", bulk_views.job_control, name="job-control"),
    path("jobs/<int:job_id>/commit/", bulk_views.job_commit, name="job-commit"),
    path("jobs/<int:job_id>/download", bulk_views.job_download, name="job-download"),
    path("jobs/<int:job_id>/report.csv", bulk_views.job_report, name="job-report"),
    path("jobs/<int:job_id>/<segment:outcome>-rows", bulk_views.job_rows, name="job-rows"),
]
