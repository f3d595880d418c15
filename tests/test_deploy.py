"""Production settings pass Django's deployment checks, and the WSGI entry point refuses unsafe sign-in."""

import os
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_production_environment() -> dict[str, str]:
    """The variables of the `export` in the README's "Deploying behind SSO", as written there."""
    section = (ROOT / "README.md").read_text().split("## Deploying behind SSO", 1)[1]
    command = re.search(r"^export .*?[^\\]$", section, re.MULTILINE | re.DOTALL).group(0)
    return dict(word.split("=", 1) for word in shlex.split(command.replace("\\\n", " "))[1:])


README_EXPORT = readme_production_environment()
# A real key in place of the README's placeholder.
PRODUCTION = {**README_EXPORT, "SECRET_KEY": secrets.token_urlsafe(50)}


# Every key the app's settings read (.env.example lists them all).
SETTINGS_KEYS = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.MULTILINE))


def run(code: list[str], **env) -> subprocess.CompletedProcess:
    # Only the given settings apply, none of this environment's.
    # Not the browser tests' permission to use the ORM inside Playwright's event loop.
    # Nor the tests' settings module: these runs use the app's own, as production does.
    left_out = {"DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE", *SETTINGS_KEYS}
    inherited = {k: v for k, v in os.environ.items() if k not in left_out}
    environment = {**inherited, **env}
    return subprocess.run([sys.executable, *code], cwd=ROOT, env=environment, capture_output=True, text=True)


def test_the_readme_production_environment_passes_the_deploy_check():
    """Security: exactly the README's production `export` (with a real SECRET_KEY in place of its
    placeholder) passes `check --deploy` without a single warning."""
    assert README_EXPORT["DEBUG"] == "false" and "SECRET_KEY" in README_EXPORT
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION)
    assert result.returncode == 0, result.stderr
    weak = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **{**PRODUCTION, "SECRET_KEY": "short"}
    )
    assert weak.returncode != 0 and "SECRET_KEY" in weak.stderr


def test_wsgi_refuses_the_development_sign_in_without_debug():
    result = run(["-c", "import streamsadmin.wsgi"], **{**PRODUCTION, "AUTH_MODE": "dev"})
    assert result.returncode != 0 and "refused unless DEBUG" in result.stderr
    assert run(["-c", "import streamsadmin.wsgi"], **PRODUCTION).returncode == 0


def test_a_shared_cache_is_django_s_own_redis_backend():
    code = "from django.conf import settings; print(settings.CACHES['default'])"
    result = run(["manage.py", "shell", "-c", code], CACHE_URL="redis://cache.example.com:6379/0")
    assert result.returncode == 0, result.stderr
    assert "'django.core.cache.backends.redis.RedisCache'" in result.stdout
    assert "'redis://cache.example.com:6379/0'" in result.stdout


def test_the_emulator_is_on_by_default_only_with_debug():
    """Security: EMULATOR_ENABLED defaults to DEBUG, so a production start without it set has no emulator."""
    show = ["-c", "from streamsadmin import settings; print(settings.EMULATOR_ENABLED)"]
    unset = {k: v for k, v in PRODUCTION.items() if k != "EMULATOR_ENABLED"}
    assert run(show, **unset).stdout.strip() == "False"
    assert run(show, **{**unset, "DEBUG": "true"}).stdout.strip() == "True"


def test_the_deploy_check_warns_while_the_emulator_is_on():
    """Security: `check --deploy` names the mounted emulator (emulator.W001) with a hint."""
    result = run(["manage.py", "check", "--deploy"], **{**PRODUCTION, "EMULATOR_ENABLED": "true"})
    assert "emulator.W001" in result.stderr and "EMULATOR_ENABLED=false" in result.stderr
    assert "emulator.W001" not in run(["manage.py", "check", "--deploy"], **PRODUCTION).stderr


def test_the_https_redirect_spares_the_health_check(client, db, settings):
    """Security: with the redirect to HTTPS on (the default without DEBUG), load balancers still
    reach /healthz over plain HTTP, while pages redirect unless the proxy says HTTPS."""
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    page = client.get("/streams/")
    assert page.status_code == 301 and page["Location"] == "https://testserver/streams/"
    assert client.get("/streams/", headers={"X-Forwarded-Proto": "https"}).status_code != 301
    # The app calls its embedded emulator on its own port (and with DEBUG only the emulator is on).
    assert client.get("/emulator/api/v1/token/inspect").status_code == 401
