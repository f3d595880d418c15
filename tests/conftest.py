"""Shared fixtures: a live server (the app and the emulator on one port) and an API client."""

import os
import uuid

import pytest
import requests
from django.test.testcases import QuietWSGIRequestHandler

# The live server answers with the headers and the body in separate writes: with Nagle's algorithm
# on, each small answer waits for the client's delayed ACK (some 40 ms).
QuietWSGIRequestHandler.disable_nagle_algorithm = True

TOKEN = "test-token"
PROJECT = "test"
# What the SSO proxy sends for a signed-in steward (tests run in AUTH_MODE=proxy from 127.0.0.1).
SIGNED_IN_AS_VIEWER = {
    "X-Forwarded-User": "vera",
    "X-Forwarded-Email": "vera@example.com",
    "X-Forwarded-Groups": "everyone,streams-viewers",
}
SIGNED_IN_AS_EDITOR = {
    "X-Forwarded-User": "eddie",
    "X-Forwarded-Email": "eddie@example.com",
    "X-Forwarded-Groups": "everyone,streams-editors",
}
SIGNED_IN_AS_ADMIN = {
    "X-Forwarded-User": "ada",
    "X-Forwarded-Email": "ada@example.com",
    "X-Forwarded-Groups": "everyone,streams-admins",
}


def pytest_collection_modifyitems(items):
    """Marks the tests served by a live server `live` (`make test-fast` leaves them out), and those
    that use the database `database` (`make test` runs them again on PostgreSQL; the others cannot
    reach a database, pytest-django blocks it)."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if "live_server" in fixtures:
            item.add_marker(pytest.mark.live)
        if item.get_closest_marker("django_db") or fixtures & {"db", "transactional_db", "live_server"}:
            item.add_marker(pytest.mark.database)


class EmulatorApi:
    """A thin requests wrapper for calling the emulator over real HTTP in tests."""

    def __init__(self, base_url: str, project: str = PROJECT, token: str | None = TOKEN):
        self.root = f"{base_url}/emulator"
        self.base = f"{self.root}/api/v1/projects/{project}"
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.session.get(self.base + path, timeout=30, **kwargs)

    def post(self, path: str, body=None, **kwargs) -> requests.Response:
        return self.session.post(self.base + path, json=body, timeout=60, **kwargs)

    def delete(self, path: str, **kwargs) -> requests.Response:
        return self.session.delete(self.base + path, timeout=30, **kwargs)


@pytest.fixture
def fault_injection(settings):
    """DEBUG on, without which the emulator refuses fault injection (/emulator/_faults)."""
    settings.DEBUG = True


@pytest.fixture
def api(live_server, transactional_db) -> EmulatorApi:
    return EmulatorApi(live_server.url)


ALARM = {"type": "container", "space": "scada", "externalId": "ScadaAlarm"}


def alarm(external_id: str, severity: str = "HIGH", value: float = 73.5, **more) -> dict:
    properties = {"severity": severity, "raisedAt": "2026-08-01T12:00:00Z", "value": value, **more}
    return {
        "space": "scada",
        "externalId": external_id,
        "sources": [{"source": ALARM, "properties": properties}],
    }


@pytest.fixture
def scada(api: EmulatorApi) -> EmulatorApi:
    """A space, the ScadaAlarm container of records-api.md §9.2, a mutable and an immutable stream."""
    assert api.post("/models/spaces", {"items": [{"space": "scada"}, {"space": "assets"}]}).status_code == 200
    container = {
        "space": "scada",
        "externalId": "ScadaAlarm",
        "usedFor": "record",
        "properties": {
            "severity": {
                "type": {"type": "enum", "values": {"LOW": {}, "HIGH": {"name": "High"}}},
                "nullable": False,
            },
            "value": {"type": {"type": "float64", "unit": {"externalId": "temperature:deg_c"}}},
            "tags": {"type": {"type": "text", "list": True, "maxListSize": 3}},
            "raisedAt": {"type": {"type": "timestamp"}, "nullable": False},
            "asset": {"type": {"type": "direct"}},
            "payload": {"type": {"type": "json"}},
            "acked": {"type": {"type": "boolean"}, "defaultValue": False},
        },
    }
    response = api.post("/models/containers", {"items": [container]})
    assert response.status_code == 200, response.text
    for stream_id, template in (("alarms-live", "BasicLiveData"), ("archive", "ImmutableTestStream")):
        body = {"items": [{"externalId": stream_id, "settings": {"template": {"name": template}}}]}
        assert api.post("/streams", body).status_code == 201
    return api


def records_path(stream: str, action: str = "") -> str:
    return f"/streams/{stream}/records" + (f"/{action}" if action else "")


def filter_all(api: EmulatorApi, stream: str = "alarms-live", **body) -> list[dict]:
    response = api.post(records_path(stream, "filter"), {"limit": 1000, **body})
    assert response.status_code == 200, response.text
    return response.json()["items"]


@pytest.fixture(scope="session")
def demo_copy(django_db_setup, django_db_blocker) -> list[tuple[str, str]]:
    """The demo, loaded once into the test database and copied aside: (emulator table, copy) pairs.

    The copies are tables Django does not know, so the flush after each live-server test leaves
    them; copying the demo back is many times quicker than loading it again."""
    from django.core.management import call_command
    from django.db import connection

    from emulator.models import Container, Record, Space, Stream

    # Parents before children, for the foreign keys.
    tables = [model._meta.db_table for model in (Space, Container, Stream, Record)]
    pairs = [(table, f"demo_copy_{table}") for table in tables]
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        call_command("load_demo", project="demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
        for table, copy in pairs:
            cursor.execute(f"DROP TABLE IF EXISTS {copy}")
            cursor.execute(f"CREATE TABLE {copy} AS SELECT * FROM {table}")
        # Tests start from an empty database, as everywhere else.
        for table, _ in reversed(pairs):
            cursor.execute(f"DELETE FROM {table}")
    return pairs


@pytest.fixture
def app(live_server, transactional_db, settings, demo_copy):
    """The app wired to the emulator of the live server, signing in through proxy headers,
    with quick retries; the demo loaded."""
    from django.db import connection

    from emulator.models import Stream

    settings.CDF_BASE_URL = f"{live_server.url}/emulator"
    settings.CDF_PROJECT = "demo"
    settings.AUTH_MODE = "proxy"
    # The live server speaks plain HTTP.
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    settings.CDF_RETRY_BACKOFF_SECONDS = 0.01
    settings.CDF_RETRY_MAX_BACKOFF_SECONDS = 0.05
    with connection.cursor() as cursor:
        for table, copy in demo_copy:
            cursor.execute(f"INSERT INTO {table} SELECT * FROM {copy}")
    # Each stream gets a fresh uid, as a recreated one does: the emulator's memory of a stream's
    # records is kept by its uid, and this copy of the stream is not the one another test changed.
    for pk in Stream.objects.values_list("pk", flat=True):
        Stream.objects.filter(pk=pk).update(uid=uuid.uuid4())
    return live_server


@pytest.fixture
def editor(app) -> requests.Session:
    """A browser-like session of a signed-in editor."""
    session = requests.Session()
    session.headers.update(SIGNED_IN_AS_EDITOR)
    return session


IMPORTS_STREAM = "imports"


@pytest.fixture
def demo(app) -> EmulatorApi:
    """The demo project with an empty mutable stream to import into."""
    api = EmulatorApi(app.url, project="demo")
    body = {"items": [{"externalId": IMPORTS_STREAM, "settings": {"template": {"name": "BasicLiveData"}}}]}
    assert api.post("/streams", body).status_code == 201
    return api


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with nothing cached of CDF's answers (the live server shares this process's cache)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploaded files and job files of each test in a folder of its own."""
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def steward(app) -> requests.Session:
    """A browser-like session of a signed-in viewer."""
    session = requests.Session()
    session.headers.update(SIGNED_IN_AS_VIEWER)
    return session


@pytest.fixture(autouse=True)
def plain_static_files(settings):
    """Tests serve static files straight from static/, without a collectstatic manifest."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
