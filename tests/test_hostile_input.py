"""Security: every URL of the app and of the emulator answers hostile input without a server error and
quickly, for a signed-in editor: NUL bytes, lone surrogates (percent-encoded and as JSON escapes), 100 kB
strings, JSON nested 100,000 deep, dates past year 9999 and wrong HTTP methods, in paths, query strings,
forms and JSON bodies.

The routes come from walking the URL resolver, so a new route is covered without touching this file. Run it
on PostgreSQL too: NUL bytes only break there."""

import json
import re
import time
from urllib.parse import quote

from django.test import Client
from django.urls import URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import SIGNED_IN_AS_EDITOR, TOKEN

FILTER = '{"equals":{"property":["plant","Equipment","%s"],"value":%s}}'
HOSTILE_TEXTS = [
    "a\x00b",
    "\ud800",
    "x" * 100_000,
    "[" * 100_000,
    '{"a":' * 50_000,
    "[" * 950 + "]" * 950,
    FILTER % ("name", '"\\ud800"'),
    FILTER % ("name", '"\\u0000"'),
    FILTER % ("specs", "[" * 990 + "]" * 990),
    '{"and":[' * 2_000,
    "10000-01-01",
    "9999-12-31",
    "0001-01-01",
    "99999-12-31T23:59:59Z",
    "9999-12-31T23:59:59.999-23:59",
    "-1",
    "99999999999999999999999",
    "NaN",
]
# JSON fragments put where an emulator body expects a value.
HOSTILE_FRAGMENTS = [json.dumps(text) for text in HOSTILE_TEXTS[:3]] + [
    "[" * 100_000,
    "[" * 900 + "]" * 900,
    '{"a":' * 900 + "1" + "}" * 900,
    '{"and":[' * 500 + "{}" + "]}" * 500,
    "NaN",
    "1e999",
]
# Real values for path parameters, so that hostile queries and forms reach the views behind them.
REAL_PATH_VALUES = {
    "stream_id": ["equipment", "alarms"],
    "space": ["plant"],
    "external_id": ["eq-001"],
    "project": ["demo"],
    "pk": ["1"],
    "job_id": ["1"],
    "outcome": ["failed"],
}
PARAMETER_NAMES = [
    *["filter", "filter_json", "stream", "user", "since", "until", "q", "start", "start_custom", "window"],
    *["window_custom", "sort", "column", "dir", "mode", "cursor", "page", "size", "format", "query", "name"],
    *["shared", "action", "step", "space", "sources_json", "record", "property", "value", "clear", "confirm"],
    *["theirs", "base", "seen", "next", "copy_of", "template", "username", "ref", "scroll"],
    "q-kind",
    "q-op",
    "q-json",
    "q-nots",
    "q-property",
    "q-operator",
    "q-value",
    "q.0-kind",
    "q.0-json",
    "value:plant.Equipment.specs",
    "value:plant.Equipment.name",
    "value:plant.Equipment.documents",
    "state:plant.Equipment.specs",
]
EMULATOR_BODIES = [
    "@",
    '{"items":[{"space":@,"externalId":@}]}',
    '{"items":[{"externalId":@,"settings":{"template":{"name":"BasicLiveData"}}}]}',
    '{"items":[{"space":"plant","externalId":"eq-001","sources":[{"source":{"type":"container","space":"plant",'
    '"externalId":"Equipment"},"properties":{"specs":@,"name":@}}]}]}',
    '{"filter":@,"limit":5}',
    '{"cursor":@}',
    '{"lastUpdatedTime":{"gte":@},"sort":@}',
    '{"aggregates":{"a":@}}',
]
# Mostly the methods views answer; the others now and then.
METHODS = ["GET", "POST", "GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def routes(resolver=None, prefix: str = "") -> list[str]:
    """Every route of the project, e.g. "streams/<str:stream_id>/"."""
    found = []
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        found.extend(routes(entry, route) if isinstance(entry, URLResolver) else [route])
    return found


def encoded(text: str) -> str:
    """Percent-encoded UTF-8, a lone surrogate as the bytes it would have (%ED%A0%80)."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def texts() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(HOSTILE_TEXTS), st.text(max_size=20))


def fill(route: str, value) -> str:
    """The route's path with each parameter given `value(name)`."""
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda match: encoded(value(match[1])), route)


def form(pairs) -> str:
    return "&".join(f"{encoded(name)}={encoded(value)}" for name, value in pairs)


@st.composite
def requests(draw, route: str) -> dict:
    """A request with a random method, and hostile values everywhere: in the path, or at a real path
    (so that the view behind it runs) in every known parameter, each its own value (the list of hostile
    values turned by a random amount), one of them perhaps random text; an emulator POST has a hostile
    JSON fragment in a body of some endpoint's shape."""
    method = draw(st.sampled_from(METHODS))
    hostile_path = draw(st.integers(0, 3)) == 0
    path = fill(route, lambda name: draw(texts()) if hostile_path else REAL_PATH_VALUES.get(name, ["1"])[0])
    if route.startswith("emulator/") and method == "POST":
        body = draw(st.sampled_from(EMULATOR_BODIES)).replace("@", draw(st.sampled_from(HOSTILE_FRAGMENTS)))
        return {"method": method, "path": path, "body": body}
    turn = draw(st.integers(0, len(HOSTILE_TEXTS) - 1))
    values = [HOSTILE_TEXTS[(index + turn) % len(HOSTILE_TEXTS)] for index in range(len(PARAMETER_NAMES))]
    values[draw(st.integers(0, len(values) - 1))] = draw(texts())
    query = form(zip(PARAMETER_NAMES, values, strict=True))
    return {"method": method, "path": path, "query": query, "body": query}


def send(client: Client, request: dict):
    if request["method"] == "POST":
        emulator = request["path"].startswith("/emulator/")
        content_type = "application/json" if emulator else "application/x-www-form-urlencoded"
        body = request["body"].encode("utf-8", "surrogatepass")
        return client.generic("POST", request["path"], body, content_type=content_type)
    return client.generic(request["method"], f"{request['path']}?{request.get('query', '')}")


def test_no_url_answers_hostile_input_with_a_server_error(app):
    """Security: hostile paths, parameters, forms and bodies, and wrong methods, get a 4xx (or a page),
    never a 500 nor a long wait. One test, so that the demo is loaded once."""
    client = Client(headers={**SIGNED_IN_AS_EDITOR, "Authorization": f"Bearer {TOKEN}"})
    client.raise_request_exception = False
    for route in routes():

        @settings(max_examples=3, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(requests(route))
        def answers_without_error(request):
            started = time.monotonic()
            response = send(client, request)
            took = time.monotonic() - started
            shown = {key: value[:200] for key, value in request.items()}
            assert response.status_code < 500, (shown, response.status_code, response.content[:500])
            assert took < 10, (shown, took)

        answers_without_error()
