"""Sign-in on every request: who the user is and their role, or the page that says why not."""

import ipaddress
import logging
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme

from ..cdf import CdfUnauthorizedError
from .auth import OIDC_GROUPS_SESSION_KEY, account_username, role_for_groups
from .views import refuse

logger = logging.getLogger(__name__)

# Paths that need no signed-in user, matched on the path Django routes on (`path_info`, never `path`,
# which carries the SCRIPT_NAME a proxy may send): the health check exactly, static files, and the
# emulator, which checks its own bearer tokens.
PUBLIC_PATHS = ("/healthz",)
PUBLIC_PREFIXES = ("/static/", "/emulator/")
# Who the session's cookies belong to behind the proxy.
PROXY_USER_SESSION_KEY = "proxy_user"


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
