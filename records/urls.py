from django.urls import path, register_converter
from django.urls.converters import PathConverter, StringConverter

from . import audit_views, auth, browser, bulk, editor, oidc, saved_views, stream_admin, views


# Path parameters without NUL: a path holding one names nothing that can exist (PostgreSQL cannot even
# search for it), so it is a 404 before any view runs.
class SegmentConverter(StringConverter):
    regex = "[^/\x00]+"


class RestConverter(PathConverter):
    regex = "[^\x00]+"


register_converter(SegmentConverter, "segment")
register_converter(RestConverter, "rest")

urlpatterns = [
    path("", views.home, name="home"),
    path("signin/", auth.signin, name="signin"),
    path("signout/", auth.signout, name="signout"),
    # AUTH_MODE=oidc; the names are the ones mozilla-django-oidc reverses.
    path("oidc/authenticate/", oidc.SignInView.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", oidc.CallbackView.as_view(), name="oidc_authentication_callback"),
    path("healthz", views.health, name="health"),
    # Not under streams/: "new" is a valid stream id, and its records stay at streams/new/.
    path("new-stream/", stream_admin.new_stream, name="stream-new"),
    path("streams/<segment:stream_id>/", browser.browse, name="browser"),
    path("streams/<segment:stream_id>/delete/", stream_admin.delete_stream, name="stream-delete"),
    path("streams/<segment:stream_id>/views/", saved_views.save_view, name="view-save"),
    path("views/<int:pk>/", saved_views.open_view, name="view"),
    path("views/<int:pk>/rename/", saved_views.rename_view, name="view-rename"),
    path("views/<int:pk>/delete/", saved_views.delete_view, name="view-delete"),
    path(
        "streams/<segment:stream_id>/records/<segment:space>/<rest:external_id>",
        browser.record_detail,
        name="record",
    ),
    path("streams/<segment:stream_id>/new-record/", editor.new_record, name="record-new"),
    path(
        "streams/<segment:stream_id>/edit/<segment:space>/<rest:external_id>",
        editor.edit_record,
        name="record-edit",
    ),
    path("streams/<segment:stream_id>/delete-records/", editor.delete_records, name="records-delete"),
    path(
        "streams/<segment:stream_id>/history/<segment:space>/<rest:external_id>",
        audit_views.record_history,
        name="record-history",
    ),
    path("audit/", audit_views.audit_log, name="audit"),
    path("streams/<segment:stream_id>/import/", bulk.import_upload, name="import"),
    path("streams/<segment:stream_id>/export/", bulk.export, name="export"),
    path("streams/<segment:stream_id>/bulk-edit/", bulk.bulk_edit, name="bulk-edit"),
    path("imports/<int:job_id>/", bulk.import_setup, name="import-setup"),
    path("jobs/", bulk.job_list, name="jobs"),
    path("jobs/<int:job_id>/", bulk.job_page, name="job"),
    path("jobs/<int:job_id>/control/", bulk.job_control, name="job-control"),
    path("jobs/<int:job_id>/commit/", bulk.job_commit, name="job-commit"),
    path("jobs/<int:job_id>/download", bulk.job_download, name="job-download"),
    path("jobs/<int:job_id>/report.csv", bulk.job_report, name="job-report"),
    path("jobs/<int:job_id>/<segment:outcome>-rows", bulk.job_rows, name="job-rows"),
]
