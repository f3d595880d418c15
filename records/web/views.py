"""The pages of signing in and out, the health check, the refusal page, the decorators that refuse
a view to a user without the role or the CDF access it needs, and the render of pages htmx swaps in part."""

from functools import wraps

from django.conf import settings
from django.contrib.auth import get_user_model, login, logout
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from .access import missing_capability
from .auth import ROLE_HELP, has_role


def render_page(request, template: str, context: dict, status: int = 200):
    """A page, or a fragment of it for htmx (the template name chosen by the view): the same URL answers
    both, so caches must tell them apart by HX-Request."""
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_safe
def health(request):
    """For load balancers and orchestrators: the app answers and its database too."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


DEMO_USERS = {
    "vera.viewer": ("Vera Viewer", "viewer"),
    "eddie.editor": ("Eddie Editor", "editor"),
    "ada.admin": ("Ada Admin", "admin"),
}


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


def refuse(request, reason: str, status: int = 403):
    return render(request, "records/refused.html", {"reason": reason}, status=status)


@require_http_methods(["GET", "POST"])
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


def capability_required(capability: str):
    """Views that CDF refuses without this capability: refused here with the reason, before calling CDF."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            reason = missing_capability(request, capability)
            if reason:
                return refuse(request, reason)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
