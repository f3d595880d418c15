"""Settings for Streams Admin, read from the environment (and `.env` beside manage.py).

`.env.example` documents every key; the README's configuration table mirrors it.
"""

import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
# The default is for development and tests only; production sets its own.
SECRET_KEY = env.str("SECRET_KEY", default="insecure-development-key")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks_db",
    "records",
    "emulator",
]

MIDDLEWARE = [
    # The security headers come first, so that every response has them: refusals at sign-in too.
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Serves the collected static files in production, compressed and cached forever.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "records.web.middleware.SignInMiddleware",
]

ROOT_URLCONF = "streamsadmin.urls"
WSGI_APPLICATION = "streamsadmin.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "records.web.context_processors.cdf",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The app calls the embedded emulator over HTTP while serving a request, so two
    # threads write at once: wait for the lock instead of failing, and let readers
    # run beside the writer (WAL).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # A file (not memory) so the live server's threads share it; one per process so that
    # test runs side by side do not trample each other.
    DATABASES["default"]["TEST"] = {
        "NAME": f"{tempfile.gettempdir()}/streams-admin-test-{os.getpid()}.sqlite3"
    }

# What CDF answered each caller (container definitions, a token's capabilities: records/cdf/client.py).
# Memory of each process by default; with several workers, a shared cache such as redis://host:6379/0
# (Django's own Redis backend).
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

# Record batches may be up to 10 MB (the CDF limit the emulator enforces itself).
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# --- Jobs: imports, exports and bulk edits run outside the request (records/jobs.py) -----
# Django's tasks framework with the database backend: `manage.py run_jobs` is the worker.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# Uploaded import files and export files; the web server and the worker must share this directory.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# The largest import file accepted, in megabytes.
IMPORT_MAX_MEGABYTES = env.int("IMPORT_MAX_MEGABYTES", default=200)
# The longest row of an import file (a CSV row, a JSON Lines line, a JSON array item), in kilobytes.
IMPORT_MAX_LINE_KILOBYTES = env.int("IMPORT_MAX_LINE_KILOBYTES", default=1024)
# Records read per export before it becomes a background job with a download.
EXPORT_STREAM_LIMIT = env.int("EXPORT_STREAM_LIMIT", default=10_000)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Sign-in and roles (records/auth.py) --------------------------------------
# "proxy": identity from the SSO proxy's headers; "oidc": the app signs users in with OpenID Connect
# itself; "dev": local sign-in as a demo user (DEBUG only).
AUTH_MODE = env.str("AUTH_MODE", default="dev" if DEBUG else "proxy")
# Addresses the proxy's headers are believed from (CIDR list); requests from anywhere else are refused.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=["127.0.0.1/32", "::1/128"])
PROXY_USER_HEADER = env.str("PROXY_USER_HEADER", default="X-Forwarded-User")
PROXY_EMAIL_HEADER = env.str("PROXY_EMAIL_HEADER", default="X-Forwarded-Email")
PROXY_GROUPS_HEADER = env.str("PROXY_GROUPS_HEADER", default="X-Forwarded-Groups")
PROXY_TOKEN_HEADER = env.str("PROXY_TOKEN_HEADER", default="X-Forwarded-Access-Token")
PROXY_SIGNOUT_URL = env.str("PROXY_SIGNOUT_URL", default="/oauth2/sign_out")
# Where a user whose CDF token was refused (401) signs in again; the page to return to follows in ?rd=.
PROXY_SIGNIN_URL = env.str("PROXY_SIGNIN_URL", default="/oauth2/sign_in")
# Which groups give which role, as "role=group group;role=group".
ROLE_GROUPS = {
    role: groups.split()
    for role, _, groups in (
        entry.partition("=")
        for entry in env.str(
            "ROLE_GROUPS", default="viewer=streams-viewers;editor=streams-editors;admin=streams-admins"
        ).split(";")
    )
}
# AUTH_MODE=oidc (records/oidc.py, mozilla-django-oidc): the authorization code flow with PKCE.
# The backend is always listed: it only acts on the OIDC callback, which answers 404 in other modes.
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend", "records.web.oidc.OIDCBackend"]
OIDC_RP_CLIENT_ID = env.str("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("OIDC_RP_CLIENT_SECRET", default="")
OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("OIDC_OP_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env.str("OIDC_OP_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env.str("OIDC_OP_USER_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env.str("OIDC_OP_JWKS_ENDPOINT", default="")
# The provider's end-session URL: signing out ends the provider's session there too.
OIDC_OP_LOGOUT_URL = env.str("OIDC_OP_LOGOUT_URL", default="")
OIDC_RP_SIGN_ALGO = env.str("OIDC_RP_SIGN_ALGO", default="RS256")
OIDC_RP_SCOPES = env.str("OIDC_RP_SCOPES", default="openid email profile")
# The claim listing the user's groups or app roles (Entra ID: "groups" or "roles"), matched by ROLE_GROUPS.
OIDC_GROUPS_CLAIM = env.str("OIDC_GROUPS_CLAIM", default="groups")
OIDC_USE_PKCE = True
# Seconds to wait for the provider's token, keys and userinfo endpoints.
OIDC_TIMEOUT = 30
LOGIN_URL = "signin"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Messages live in the session, so that they end with it (a new user behind the proxy flushes it).
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
# Pages carry the CSRF token for htmx (base.html): no script needs to read the cookie.
CSRF_COOKIE_HTTPONLY = True

# --- Security headers ---------------------------------------------------------


def sign_out_origins(*urls: str) -> list[str]:
    """The origins of the absolute sign-out URLs among these (relative ones are the app's own)."""
    parts = (urlsplit(url) for url in urls)
    return sorted({f"{p.scheme}://{p.netloc}" for p in parts if p.scheme in ("http", "https") and p.netloc})


# Scripts and styles come only from our own static files: no inline code anywhere.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    # Pico draws its form icons as data: SVG images.
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    # Signing out posts a form that redirects to the proxy's or the provider's sign-out page.
    "form-action": [CSP.SELF, *sign_out_origins(PROXY_SIGNOUT_URL, OIDC_OP_LOGOUT_URL)],
    "frame-ancestors": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Production runs behind a TLS-terminating proxy that sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# On unless DEBUG, like secure cookies and HSTS: harmless where the proxy in front redirects already
# (its X-Forwarded-Proto says HTTPS), and the app is never served over plain HTTP where it does not.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers probe the health check over plain HTTP, and the app calls its embedded emulator
# on its own port.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^emulator/"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# --- CDF ---------------------------------------------------------------------
PORT = env.int("PORT", default=8000)
CDF_BASE_URL = env.str("CDF_BASE_URL", default=f"http://127.0.0.1:{PORT}/emulator")
CDF_PROJECT = env.str("CDF_PROJECT", default="demo")
CDF_TOKEN_SOURCE = env.str("CDF_TOKEN_SOURCE", default="static")
CDF_TOKEN = env.str("CDF_TOKEN", default="dev-token")
CDF_TOKEN_URL = env.str("CDF_TOKEN_URL", default="")
CDF_CLIENT_ID = env.str("CDF_CLIENT_ID", default="")
CDF_CLIENT_SECRET = env.str("CDF_CLIENT_SECRET", default="")
CDF_SCOPES = env.list("CDF_SCOPES", default=[])
CDF_TIMEOUT_SECONDS = env.float("CDF_TIMEOUT_SECONDS", default=30.0)
# Retries on 429/502/503/504 and lost connections: how many, and the backoff bounds in seconds.
CDF_MAX_RETRIES = env.int("CDF_MAX_RETRIES", default=5)
CDF_RETRY_BACKOFF_SECONDS = env.float("CDF_RETRY_BACKOFF_SECONDS", default=0.5)
CDF_RETRY_MAX_BACKOFF_SECONDS = env.float("CDF_RETRY_MAX_BACKOFF_SECONDS", default=10.0)
CDF_RETRY_TOTAL_SECONDS = env.float("CDF_RETRY_TOTAL_SECONDS", default=60.0)
# How long container definitions are reused before they are read again.
CDF_SCHEMA_CACHE_SECONDS = env.float("CDF_SCHEMA_CACHE_SECONDS", default=30.0)

# --- Embedded emulator -------------------------------------------------------
# A development and test tool: `manage.py check --deploy` warns when it is on.
EMULATOR_ENABLED = env.bool("EMULATOR_ENABLED", default=DEBUG)
# Bearer tokens the emulator knows, with their capabilities, as "token=acl:ACTION acl:ACTION;token2=...",
# e.g. "readonly-token=streamsAcl:READ streamRecordsAcl:READ dataModelsAcl:READ".
# Tokens its OAuth2 endpoint issued have every capability; so has any other token with DEBUG on,
# while without DEBUG any other token gets 401.
EMULATOR_TOKENS = env.str(
    "EMULATOR_TOKENS",
    default="readonly-token=streamsAcl:READ streamRecordsAcl:READ dataModelsAcl:READ",
)
# The CDF projects the emulator serves; any other project answers 403.
EMULATOR_PROJECTS = env.list("EMULATOR_PROJECTS", default=["demo", "test"])
# Client id -> secret pairs accepted by the emulator's OAuth2 token endpoint.
EMULATOR_CLIENTS = env.dict("EMULATOR_CLIENTS", default={"streams-admin": "emulator-secret"})

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
