"""The layout the code keeps: the app and the emulator meet only on the wire (neither imports the other);
the app is grouped in feature packages, in each of which `views.py` alone speaks HTTP."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "records"

# What records/ holds at its top: the Django app's own modules, the shared schema, and the packages.
TOP_LEVEL_MODULES = {"__init__.py", "apps.py", "models.py", "schema.py", "urls.py"}
PACKAGES = {"cdf", "web", "streams", "browse", "query", "edit", "bulk", "jobs", "audit"}
DJANGO_PACKAGES = {"templatetags", "management", "migrations"}
# Besides the packages' views.py, HTTP is spoken by the sign-in middleware and the OpenID Connect views.
SPEAKS_HTTP = {"web/middleware.py", "web/oidc.py"}
HTTP_MODULES = ("django.http", "django.shortcuts", "django_htmx.http")
# A query string's multi-value dict: the browser's state, read and written without a request.
NOT_HTTP = {"QueryDict"}
HTTP_NAMES = {"HttpRequest", "HttpResponse", "render", "redirect"}


def imported_packages(package: str) -> set[str]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize(("package", "forbidden"), [("records", "emulator"), ("emulator", "records")])
def test_app_and_emulator_do_not_import_each_other(package, forbidden):
    assert forbidden not in imported_packages(package)


def http_use(path: Path) -> set[str]:
    """What of Django's requests and responses a module imports or names."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith(HTTP_MODULES))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(HTTP_MODULES):
            found.update(f"{node.module}.{alias.name}" for alias in node.names if alias.name not in NOT_HTTP)
        elif isinstance(node, ast.Name) and node.id in HTTP_NAMES:
            found.add(node.id)
        elif isinstance(node, ast.Attribute) and node.attr in HTTP_NAMES:
            found.add(node.attr)
    return found


def logic_modules() -> list[str]:
    return sorted(
        str(path.relative_to(RECORDS))
        for path in RECORDS.rglob("*.py")
        if path.name != "views.py"
        and "migrations" not in path.parts
        and str(path.relative_to(RECORDS)) not in SPEAKS_HTTP
    )


def test_only_views_speak_http():
    speaking = {module: use for module in logic_modules() if (use := http_use(RECORDS / module))}
    assert speaking == {}


def test_records_is_grouped_in_feature_packages():
    modules = {path.name for path in RECORDS.glob("*.py")}
    folders = {path.name for path in RECORDS.iterdir() if path.is_dir() and path.name != "__pycache__"}
    assert modules == TOP_LEVEL_MODULES
    assert folders == PACKAGES | DJANGO_PACKAGES
    assert all((RECORDS / package / "__init__.py").exists() for package in PACKAGES)



def test_the_tests_mirror_the_packages():
    """Each package's tests live in a folder of its name; the emulator's and the browser's have theirs."""
    folders = {path.name for path in (ROOT / "tests").iterdir() if (path / "__init__.py").exists()}
    assert folders == PACKAGES | {"emulator", "browser"}
