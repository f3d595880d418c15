"""CDF's token inspection, `GET /api/v1/token/inspect` (outside any project): who a bearer token is and
what it may do, in CDF's shape, from the token's capabilities (EMULATOR_TOKENS)."""

import hashlib
import uuid

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from .errors import ApiError
from .http import ALL_CAPABILITIES, bearer_token, token_capabilities

# Every acl the emulator checks, with its actions: what an unrestricted token has.
EVERY_ACTION = {
    "streamsAcl": ["READ", "CREATE", "DELETE"],
    "streamRecordsAcl": ["READ", "WRITE"],
    "dataModelsAcl": ["READ", "WRITE"],
}


@csrf_exempt  # an API of bearer tokens, like every emulator endpoint
def inspect_token(request):
    try:
        if request.method != "GET":
            raise ApiError(405, f"Method {request.method} is not allowed here; use GET")
        token = bearer_token(request)
        status, body = (
            200,
            {
                # A stable id per token that does not reveal it.
                "subject": "emulator-" + hashlib.sha256(token.encode()).hexdigest()[:16],
                "projects": [{"projectUrlName": project} for project in settings.EMULATOR_PROJECTS],
                "capabilities": capabilities_answer(token_capabilities(token)),
            },
        )
    except ApiError as error:
        status, body = error.code, error.body()
    response = JsonResponse(body, status=status)
    response["x-request-id"] = str(uuid.uuid4())
    return response


def capabilities_answer(granted: set[str] | None) -> list[dict]:
    """CDF's list of capabilities for a set like {"streamsAcl:READ"} (None: every capability)."""
    if granted is ALL_CAPABILITIES:
        granted = {f"{acl}:{action}" for acl, actions in EVERY_ACTION.items() for action in actions}
    actions = {}
    for capability in sorted(granted):
        acl, _, action = capability.partition(":")
        actions.setdefault(acl, []).append(action)
    return [
        {acl: {"actions": acl_actions, "scope": {"all": {}}}, "projectScope": {"allProjects": {}}}
        for acl, acl_actions in actions.items()
    ]
