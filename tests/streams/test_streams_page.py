"""The streams page, served by the live server and fed by the emulator over HTTP."""

import re

import pytest
import requests


def test_streams_page_lists_every_stream_with_its_limits(app, steward):
    page = steward.get(app.url + "/", timeout=30)
    assert page.status_code == 200
    html = page.text
    for stream_id in ("equipment", "alarms", "sensor-readings", "readings-archive"):
        assert f'href="/streams/{stream_id}/"' in html
    assert "4 of 4 streams" in html
    # Consumption comes from the emulator's statistics: 800 alarm records of 5,000,000.
    assert re.search(r'max="5000000" value="800"', html)
    assert "800 of 5,000,000" in html
    assert "Queries span at most 7 days" in html
    assert "Immutable" in html and "Mutable" in html


def test_quick_search_narrows_the_list(app, steward):
    fragment = steward.get(app.url + "/", params={"q": "read"}, headers={"HX-Request": "true"}, timeout=30)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert "2 of 4 streams" in fragment.text and "alarms" not in fragment.text
    nothing = steward.get(app.url + "/", params={"q": "<b>zzz</b>"}, timeout=30)
    assert "No stream id contains “&lt;b&gt;zzz&lt;/b&gt;”" in nothing.text
    # One URL answers the page and the fragment: caches must tell them apart.
    for answer in (fragment, nothing):
        assert "HX-Request" in answer.headers["Vary"]


@pytest.mark.usefixtures("fault_injection")
def test_cdf_failure_shows_a_banner_not_a_server_error(app, steward):
    fault = {"project": "demo", "endpoint": "streams/list", "status": 403, "count": 1}
    requests.post(app.url + "/emulator/_faults", json=fault, timeout=10)
    page = steward.get(app.url + "/", timeout=30)
    assert page.status_code == 200
    assert "Your CDF access does not allow this" in page.text
    assert "CDF request id" in page.text and "Try again" in page.text


def test_pages_forbid_inline_code_and_framing(app, steward):
    page = steward.get(app.url + "/", timeout=30)
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy and page.headers["X-Frame-Options"] == "DENY"
    assert "<script>" not in page.text and " style=" not in page.text
