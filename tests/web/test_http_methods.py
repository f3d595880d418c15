"""Every page of the app names the HTTP methods it takes: any other gets 405, before the view runs."""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, get_resolver

from tests.conftest import SIGNED_IN_AS_EDITOR

# Values for the path parameters; the method is refused before any of them is looked up.
PATH_VALUES = {"stream_id": "equipment", "space": "plant", "external_id": "eq-001", "pk": "1", "job_id": "1"}
# mozilla-django-oidc's class-based views answer for their own methods.
LIBRARY_VIEWS = {"oidc_authentication_init", "oidc_authentication_callback"}


def app_paths() -> list[tuple[str, str]]:
    """(URL name, a path of it) for every route of records/urls.py."""
    paths = []
    for pattern in get_resolver("records.urls").url_patterns:
        assert isinstance(pattern, URLPattern)
        if pattern.name in LIBRARY_VIEWS:
            continue
        route = re.sub(
            r"<(?:\w+:)?(\w+)>",
            lambda m: PATH_VALUES.get(m.group(1), "failed"),
            str(pattern.pattern),
        )
        paths.append((pattern.name, "/" + route))
    return paths


@pytest.mark.parametrize(("name", "path"), app_paths())
def test_a_method_a_page_does_not_take_gets_405(db, settings, name, path):
    settings.AUTH_MODE = "proxy"
    headers = {"HTTP_" + key.upper().replace("-", "_"): value for key, value in SIGNED_IN_AS_EDITOR.items()}
    for method in ("put", "patch", "delete"):
        answer = getattr(Client(), method)(path, **headers)
        assert answer.status_code == 405, f"{method.upper()} {path} ({name}) answered {answer.status_code}"
        assert answer.headers["Allow"]
