"""Sign-in (the SSO proxy's headers, or the development sign-in) and roles, over real HTTP."""

import re

import pytest
import requests
from django.core.exceptions import ImproperlyConfigured

from records.web.auth import check_auth_mode, role_for_groups
from tests.conftest import SIGNED_IN_AS_VIEWER


def test_proxy_headers_sign_the_user_in(app):
    page = requests.get(app.url + "/", headers=SIGNED_IN_AS_VIEWER, timeout=30)
    assert page.status_code == 200
    assert "vera@example.com" not in page.text and "vera" in page.text
    assert '<small class="badge">viewer</small>' in page.text


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "did not say who you are"),
        ({"X-Forwarded-User": "mallory", "X-Forwarded-Groups": "visitors"}, "has no Streams Admin role"),
    ],
)
def test_proxy_refuses_unknown_or_roleless_users(app, headers, reason):
    page = requests.get(app.url + "/", headers=headers, timeout=30)
    assert page.status_code == 403 and reason in page.text
    assert "streams-admins" not in page.text


def test_proxy_headers_are_only_believed_from_trusted_addresses(app, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    page = requests.get(app.url + "/", headers=SIGNED_IN_AS_VIEWER, timeout=30)
    assert page.status_code == 403 and "did not come through it" in page.text


def test_forwarded_token_is_used_for_cdf_and_never_shown(app, settings):
    settings.CDF_TOKEN_SOURCE = "forwarded"
    headers = {**SIGNED_IN_AS_VIEWER, "X-Forwarded-Access-Token": "readonly-token"}
    page = requests.get(app.url + "/", headers=headers, timeout=30)
    assert page.status_code == 200 and "4 of 4 streams" in page.text
    assert "readonly-token" not in page.text
    # Without a token CDF answers 401, and the user is sent to sign in again.
    page = requests.get(app.url + "/", headers=SIGNED_IN_AS_VIEWER, allow_redirects=False, timeout=30)
    assert page.status_code == 302 and page.headers["Location"] == "/oauth2/sign_in?rd=%2F"


def test_development_sign_in(app, settings):
    settings.AUTH_MODE = "dev"
    browser = requests.Session()
    first = browser.get(app.url + "/", timeout=30)
    assert first.url == app.url + "/signin/?next=%2F"
    buttons = re.findall(r'value="([a-z.]+)">Sign in as', first.text)
    assert buttons == ["vera.viewer", "eddie.editor", "ada.admin"]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', first.text).group(1)

    forged = requests.post(app.url + "/signin/", data={"username": "ada.admin", "next": "/"}, timeout=30)
    assert forged.status_code == 403  # no CSRF token

    signed_in = browser.post(
        app.url + "/signin/",
        data={"csrfmiddlewaretoken": token, "username": "eddie.editor", "next": "https://elsewhere.example/"},
        headers={"Referer": app.url + "/signin/"},
        timeout=30,
    )
    assert signed_in.url == app.url + "/"  # no open redirect
    assert "Eddie Editor" in signed_in.text and '<small class="badge">editor</small>' in signed_in.text


def test_roles_come_from_groups(settings):
    settings.ROLE_GROUPS = {"viewer": ["readers"], "editor": ["stewards"], "admin": ["platform"]}
    assert role_for_groups(["readers"]) == "viewer"
    assert role_for_groups(["readers", "stewards"]) == "editor"
    assert role_for_groups(["platform"]) == "admin"
    assert role_for_groups(["others"]) is None


def test_development_sign_in_is_refused_without_debug(settings):
    settings.AUTH_MODE, settings.DEBUG = "dev", False
    with pytest.raises(ImproperlyConfigured, match="refused unless DEBUG"):
        check_auth_mode()
    settings.DEBUG = True
    check_auth_mode()
    settings.AUTH_MODE = "none"
    with pytest.raises(ImproperlyConfigured):
        check_auth_mode()
