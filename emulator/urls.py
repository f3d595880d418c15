from django.urls import path

from . import faults, inspect, oauth, views

project = "api/v1/projects/<str:project>"
stream = f"{project}/streams/<str:stream_id>"

urlpatterns = [
    path("oauth2/token", oauth.token, name="emulator-token"),
    path("_faults", faults.faults_view, name="emulator-faults"),
    path("api/v1/token/inspect", inspect.inspect_token, name="emulator-token-inspect"),
    path(f"{project}/models/spaces", views.spaces),
    path(f"{project}/models/spaces/byids", views.spaces_by_ids),
    path(f"{project}/models/spaces/delete", views.spaces_delete),
    path(f"{project}/models/containers", views.containers),
    path(f"{project}/models/containers/byids", views.containers_by_ids),
    path(f"{project}/models/containers/delete", views.containers_delete),
    path(f"{project}/streams", views.streams_root),
    path(stream, views.stream_detail),
    path(f"{stream}/records", views.ingest),
    path(f"{stream}/records/upsert", views.upsert),
    path(f"{stream}/records/delete", views.delete),
    path(f"{stream}/records/filter", views.filter_records),
    path(f"{stream}/records/sync", views.sync_records),
    path(f"{stream}/records/aggregate", views.aggregate_records),
]
