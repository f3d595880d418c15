"""Signing out in Chromium reaches the sign-out page of another origin (the proxy's or the provider's)."""

import pytest
from django.utils.csp import CSP
from playwright.sync_api import expect

from streamsadmin.settings import sign_out_origins

pytestmark = pytest.mark.browser


def test_sign_out_reaches_the_configured_page_of_another_origin(page, app, settings):
    """Security 6: the app's own CSP (form-action) lets the sign-out form's redirect leave the app."""
    # The live server answers at localhost; 127.0.0.1 is another origin to the browser.
    elsewhere = app.url.replace("localhost", "127.0.0.1") + "/oauth2/sign_out"
    assert elsewhere != app.url + "/oauth2/sign_out"
    settings.PROXY_SIGNOUT_URL = elsewhere
    # As settings.py builds it from PROXY_SIGNOUT_URL when the app starts.
    settings.SECURE_CSP = {**settings.SECURE_CSP, "form-action": [CSP.SELF, *sign_out_origins(elsewhere)]}
    page.goto("/jobs/")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(elsewhere)
    expect(page.get_by_role("heading", name="Jobs")).to_have_count(0)
