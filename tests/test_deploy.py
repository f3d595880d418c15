"""Production settings pass Django's deployment checks, and the WSGI entry point refuses unsafe sign-in."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The environment of "Deploying behind SSO" in the README.
PRODUCTION = {
    "DEBUG": "false",
    "ALLOWED_HOSTS": "streams.example.com",
    "AUTH_MODE": "proxy",
    "EMULATOR_ENABLED": "false",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "CDF_BASE_URL": "https://westeurope-1.cognitedata.com",
    "CDF_TOKEN_SOURCE": "forwarded",
}


def run(code: list[str], **env) -> subprocess.CompletedProcess:
    # Not the browser tests' permission to use the ORM inside Playwright's event loop.
    # Nor the tests' settings module: these runs use the app's own, as production does.
    left_out = ("DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE")
    inherited = {k: v for k, v in os.environ.items() if k not in left_out}
    environment = {**inherited, "SECRET_KEY": secrets.token_urlsafe(50), **env}
    return subprocess.run([sys.executable, *code], cwd=ROOT, env=environment, capture_output=True, text=True)


def test_production_settings_pass_the_deploy_check():
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
