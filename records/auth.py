"""Who is signed in, and what they may do.

AUTH_MODE picks where identity comes from:
- "proxy": headers set by the company's SSO proxy (e.g. oauth2-proxy), trusted only from the
  addresses in TRUSTED_PROXIES;
- "oidc": the app signs users in with OpenID Connect itself (records/oidc.py), their groups or
  app roles taken from the token's claims;
- "dev": a local sign-in page listing demo users of each role, only with DEBUG on.

Roles come from groups (ROLE_GROUPS): viewer (browse, query, export), editor (also write
records and import), admin (also create and delete streams, see everyone's audit log).
"""

import hashlib
import ipaddress
import logging
from functools import wraps
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from .cdf import CdfClient, CdfUnauthorizedError, get_client

logger = logging.getLogger(__name__)

ROLES = ("viewer", "editor", "admin")
ROLE_HELP = {
    "viewer": "browse, query and export records",
    "editor": "also edit, create, delete and import records",
    "admin": "also create and delete streams and see everyone's audit log",
}
# Paths that need no signed-in user, matched on the path Django routes on (`path_info`, never `path`,
# which carries the SCRIPT_NAME a proxy may send): the health check exactly, static files, and the
# emulator, which checks its own bearer tokens.
PUBLIC_PATHS = ("/healthz",)
PUBLIC_PREFIXES = ("/static/", "/emulator/")
DEMO_USERS = {
    "vera.viewer": ("Vera Viewer", "viewer"),
    "eddie.editor": ("Eddie Editor", "editor"),
    "ada.admin": ("Ada Admin", "admin"),
}
# Who the session's cookies belong to behind the proxy.
PROXY_USER_SESSION_KEY = "proxy_user"
# Django's user name column: a longer name is refused rather than cut, so two people never share one account.
USERNAME_MAX_LENGTH = 150
# Where records/oidc.py keeps the signed-in user's groups (or app roles) from the provider's claims.
OIDC_GROUPS_SESSION_KEY = "oidc_groups"
OIDC_REQUIRED_SETTINGS = (
    "OIDC_RP_CLIENT_ID",
    "OIDC_OP_AUTHORIZATION_ENDPOINT",
    "OIDC_OP_TOKEN_ENDPOINT",
    "OIDC_OP_USER_ENDPOINT",
    "OIDC_OP_JWKS_ENDPOINT",
)


def check_auth_mode() -> None:
    """Refuse to serve with a sign-in that is unsafe or unknown."""
    if settings.AUTH_MODE not in ("proxy", "oidc", "dev"):
        raise ImproperlyConfigured(f"AUTH_MODE must be 'proxy', 'oidc' or 'dev', not {settings.AUTH_MODE!r}")
    missing = [name for name in OIDC_REQUIRED_SETTINGS if not getattr(settings, name, "")]
    if settings.AUTH_MODE == "oidc" and missing:
        raise ImproperlyConfigured(f"AUTH_MODE=oidc needs {', '.join(missing)} set (see .env.example).")
    if settings.AUTH_MODE == "oidc" and settings.CDF_TOKEN_SOURCE == "forwarded":
        # No proxy forwards the user's token in this mode: every CDF call would fail.
        raise ImproperlyConfigured(
            "CDF_TOKEN_SOURCE=forwarded needs AUTH_MODE=proxy; with AUTH_MODE=oidc use client-credentials."
        )
    if settings.AUTH_MODE == "dev" and not settings.DEBUG:
        raise ImproperlyConfigured(
            "AUTH_MODE=dev signs anyone in without a password; it is refused unless DEBUG is on. "
            "Use AUTH_MODE=proxy behind your single sign-on."
        )


def role_for_groups(groups: list[str]) -> str | None:
    """The highest role any of the groups maps to, by ROLE_GROUPS."""
    granted = None
    for role in ROLES:
        if set(groups) & set(settings.ROLE_GROUPS.get(role, ())):
            granted = role
    return granted


def has_role(request, role: str) -> bool:
    current = getattr(request, "role", None)
    return current is not None and ROLES.index(current) >= ROLES.index(role)


def role_required(role: str):
    """Views only users with at least this role may use; others get 403 with the reason."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not has_role(request, role):
                return refuse(
                    request, f"This needs the {role} role ({ROLE_HELP[role]}); you are a {request.role}."
                )
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def cdf_client(request) -> CdfClient:
    """A CDF client for this request, carrying the user's own token when CDF_TOKEN_SOURCE=forwarded."""
    return get_client(getattr(request, "cdf_token", None))


def refuse(request, reason: str, status: int = 403):
    return render(request, "records/refused.html", {"reason": reason}, status=status)


def account_username(identity: str) -> str:
    """The account name of an identity: itself when it fits Django's column, otherwise its start and a
    hash of the whole, so two long identities that share their first 150 characters stay two people."""
    if len(identity) <= USERNAME_MAX_LENGTH:
        return identity
    digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
    return f"{identity[: USERNAME_MAX_LENGTH - len(digest) - 1]}~{digest}"


def is_public(path_info: str) -> bool:
    return path_info in PUBLIC_PATHS or path_info.startswith(PUBLIC_PREFIXES)


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(network, strict=False) for network in settings.TRUSTED_PROXIES)


class SignInMiddleware:
    """Every page needs a signed-in user with a role; sets request.role (and request.cdf_token).
    What it answers for a signed-in user's page is never stored by a browser or a proxy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.role = None
        if is_public(request.path_info):
            return self.get_response(request)
        response = self._signed_in(request)
        # Pages, exports and downloads hold records only their user may see: never cache them.
        patch_cache_control(response, no_store=True)
        return response

    def _signed_in(self, request):
        if settings.AUTH_MODE == "proxy":
            refused = self._proxy_user(request)
            if refused:
                return refused
        else:
            if request.path_info in _sign_in_paths():
                return self.get_response(request)
            if not request.user.is_authenticated:
                return redirect(f"{_sign_in_path()}?{urlencode({'next': request.get_full_path()})}")
            if settings.AUTH_MODE == "oidc":
                request.role = role_for_groups(request.session.get(OIDC_GROUPS_SESSION_KEY, []))
            else:
                request.role = request.session.get("role")
        if request.role is None:
            return refuse(
                request,
                "Your account has no Streams Admin role. Ask an administrator to add you to a group "
                "that maps to viewer, editor or admin.",
            )
        return self.get_response(request)

    def process_exception(self, request, exception):
        """CDF refused the credentials (401). With the user's own token (CDF_TOKEN_SOURCE=forwarded)
        it has likely expired: send them back through sign-in, then to the page they were on.
        With the app's own credentials signing in again cannot help: say what is wrong."""
        if not isinstance(exception, CdfUnauthorizedError):
            return None
        if settings.CDF_TOKEN_SOURCE != "forwarded":
            logger.error(
                "CDF refused the app's own credentials (%s): %s", settings.CDF_TOKEN_SOURCE, exception
            )
            error = {
                "title": "CDF did not accept the app's own credentials",
                "message": f"{exception.message} Ask the people who run Streams Admin to check its CDF "
                f"credentials (CDF_TOKEN_SOURCE={settings.CDF_TOKEN_SOURCE}).",
                "request_id": exception.request_id,
            }
            return render(request, "records/cdf_error.html", {"error": error}, status=502)
        logger.info("CDF answered 401 for %s (%s); sending the user to sign in", request.user, exception)
        page = _page_path(request)
        if settings.AUTH_MODE == "dev":
            logout(request)
            messages.warning(request, "CDF did not accept your credentials; sign in again.")
            target = f"{reverse('signin')}?{urlencode({'next': page})}"
        else:
            target = f"{settings.PROXY_SIGNIN_URL}?{urlencode({'rd': page})}"
        if request.headers.get("HX-Request") == "true":
            # htmx would swap a redirect's page into a fragment: have it load the sign-in page instead.
            return HttpResponse(headers={"HX-Redirect": target})
        return redirect(target)

    def _proxy_user(self, request):
        if not _trusted(request.META.get("REMOTE_ADDR", "")):
            return refuse(
                request,
                "This app is reached through the company's single sign-on; this request did not "
                "come through it.",
            )
        username = request.headers.get(settings.PROXY_USER_HEADER, "").strip()
        if not username:
            return refuse(request, "The single sign-on did not say who you are (no user header).")
        email = request.headers.get(settings.PROXY_EMAIL_HEADER, "").strip()
        # A server joins a repeated header with commas: two users (or two emails) in one request.
        if "," in username or "," in email:
            return refuse(request, "The single sign-on named more than one user.", status=400)
        if "\x00" in username + email:
            return refuse(request, "The single sign-on sent a user name this app cannot keep.", status=400)
        groups = [
            g.strip() for g in request.headers.get(settings.PROXY_GROUPS_HEADER, "").split(",") if g.strip()
        ]
        owner = request.session.get(PROXY_USER_SESSION_KEY)
        if owner != username:
            if owner is not None:
                # Another user's cookies: nothing of theirs (remembered columns, messages) may reach this one.
                request.session.flush()
            request.session[PROXY_USER_SESSION_KEY] = username
        user, _ = get_user_model().objects.get_or_create(
            username=account_username(username), defaults={"email": email}
        )
        request.user = user
        request.role = role_for_groups(groups)
        # The user's own CDF token: used for this request only, never stored or sent to the browser.
        request.cdf_token = request.headers.get(settings.PROXY_TOKEN_HEADER) or None
        return None


def _sign_in_path() -> str:
    """Where a user who is not signed in goes, in dev or oidc mode."""
    return reverse("oidc_authentication_init" if settings.AUTH_MODE == "oidc" else "signin")


def _sign_in_paths() -> tuple[str, ...]:
    """The pages of signing in, which must be reachable before one is."""
    if settings.AUTH_MODE == "oidc":
        return (reverse("oidc_authentication_init"), reverse("oidc_authentication_callback"))
    return (reverse("signin"),)


def _page_path(request) -> str:
    """The page the user is on: for an htmx request, the page that made it rather than the fragment's."""
    current = request.headers.get("HX-Current-URL", "")
    if current and url_has_allowed_host_and_scheme(current, {request.get_host()}):
        parts = urlsplit(current)
        return f"{parts.path}?{parts.query}" if parts.query else parts.path
    return request.get_full_path()


def signin(request):
    """The development sign-in: pick a demo user of each role (no password; DEBUG only)."""
    if settings.AUTH_MODE != "dev":
        raise Http404("There is no development sign-in in this mode.")
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure()):
        next_url = "/"
    if request.method == "POST" and request.POST.get("username") in DEMO_USERS:
        name, role = DEMO_USERS[request.POST["username"]]
        first, last = name.split()
        user, _ = get_user_model().objects.get_or_create(
            username=request.POST["username"], defaults={"first_name": first, "last_name": last}
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        request.session["role"] = role
        return redirect(next_url)
    users = [{"username": u, "name": n, "role": r, "help": ROLE_HELP[r]} for u, (n, r) in DEMO_USERS.items()]
    return render(request, "records/signin.html", {"users": users, "next": next_url})


@require_POST
def signout(request):
    logout(request)
    if settings.AUTH_MODE == "dev":
        return redirect("signin")
    if settings.AUTH_MODE == "oidc":
        # Ends the provider's session too when it has a logout URL; otherwise only the app's ends.
        return redirect(settings.OIDC_OP_LOGOUT_URL or "home")
    # Behind the proxy, signing out means ending the single sign-on session there.
    return redirect(settings.PROXY_SIGNOUT_URL)
