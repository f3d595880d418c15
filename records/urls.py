from django.urls import path

from . import auth, browser, views

urlpatterns = [
    path("", views.home, name="home"),
    path("signin/", auth.signin, name="signin"),
    path("signout/", auth.signout, name="signout"),
    path("healthz", views.health, name="health"),
    path("streams/<str:stream_id>/", browser.browse, name="browser"),
    path(
        "streams/<str:stream_id>/records/<str:space>/<path:external_id>", browser.record_detail, name="record"
    ),
]
