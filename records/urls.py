from django.urls import path

from . import browser, views

urlpatterns = [
    path("", views.home, name="home"),
    path("streams/<str:stream_id>/", browser.browse, name="browser"),
    path(
        "streams/<str:stream_id>/records/<str:space>/<path:external_id>", browser.record_detail, name="record"
    ),
]
