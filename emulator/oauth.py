"""The emulator's OAuth2 token endpoint: the client-credentials grant (RFC 6749 §4.4).

Clients configured in `settings.EMULATOR_CLIENTS` (id -> secret) get an opaque bearer token.
The API accepts any non-empty bearer token, so the token only has to be well formed.
"""

import base64
import binascii
import secrets
from urllib.parse import unquote_plus

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

EXPIRES_IN_SECONDS = 3600


def _oauth_error(error: str, description: str, status: int) -> JsonResponse:
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    # Token responses must not be cached (RFC 6749 §5.1), errors included.
    response["Cache-Control"] = "no-store"
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="emulator"'
    return response


def _client_credentials(request) -> tuple[str, str]:
    """The client id and secret, from HTTP Basic (preferred by RFC 6749 §2.3.1) or the form."""
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
        client_id, _, secret = decoded.partition(":")
        # Basic credentials are form-encoded before base64 (RFC 6749 §2.3.1).
        return unquote_plus(client_id), unquote_plus(secret)
    return request.POST.get("client_id", ""), request.POST.get("client_secret", "")


@csrf_exempt
@require_POST
def token(request):
    grant_type = request.POST.get("grant_type", "")
    if grant_type != "client_credentials":
        return _oauth_error(
            "unsupported_grant_type", f"grant_type must be client_credentials, got {grant_type!r}", 400
        )
    client_id, secret = _client_credentials(request)
    expected = settings.EMULATOR_CLIENTS.get(client_id) if client_id else None
    if expected is None or not secrets.compare_digest(str(expected).encode(), secret.encode()):
        return _oauth_error("invalid_client", "Unknown client id or wrong client secret", 401)
    response = JsonResponse(
        {
            "access_token": f"emulator-{secrets.token_urlsafe(24)}",
            "token_type": "Bearer",
            "expires_in": EXPIRES_IN_SECONDS,
        }
    )
    response["Cache-Control"] = "no-store"
    return response
