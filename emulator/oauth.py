"""The emulator's OAuth2 token endpoint: the client-credentials grant (RFC 6749 §4.4).

Clients configured in `settings.EMULATOR_CLIENTS` (id -> secret) get a bearer token signed with
SECRET_KEY, so that the API can tell the tokens it issued (`issued_to`) without storing them.
"""

import base64
import binascii
import secrets
from urllib.parse import unquote_plus

from django.conf import settings
from django.core import signing
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

EXPIRES_IN_SECONDS = 3600
# "." joins the parts, so that a token holds only the characters RFC 6750 allows.
SIGNER = signing.TimestampSigner(salt="emulator.oauth2.token", sep=".")


def issued_to(token: str) -> str | None:
    """The client a token was issued to, while it is valid and the client still configured; else None."""
    try:
        client_id = SIGNER.unsign_object(token, max_age=EXPIRES_IN_SECONDS)
    except signing.BadSignature:  # expired tokens included
        return None
    return client_id if client_id in settings.EMULATOR_CLIENTS else None


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
            "access_token": SIGNER.sign_object(client_id),
            "token_type": "Bearer",
            "expires_in": EXPIRES_IN_SECONDS,
        }
    )
    response["Cache-Control"] = "no-store"
    return response
