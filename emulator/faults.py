"""Fault injection, for tests of how clients cope with a misbehaving CDF.

`POST /emulator/_faults` with
    {"project": "test", "endpoint": "records/ingest", "status": 429, "count": 2, "retryAfter": 1,
     "failRecords": ["space:externalId", ...], "delayMs": 0}
makes the next `count` calls of that endpoint ("*" for any) misbehave:
- without `failRecords`, the call answers `status` (with `Retry-After` when given) and changes nothing;
- with `failRecords` and status 409, 500 or 503, those records fail with that code and the others are
  written: the partial-success answer of CDF;
- `delayMs` sleeps before answering (with or without a status), to provoke client timeouts.
`DELETE /emulator/_faults` removes every pending fault.
Only with DEBUG on: without it the endpoint answers 404 and no fault applies, since one request
could otherwise stall or break every call to the emulator.
"""

from django.conf import settings
from django.db import transaction
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from cdftypes.values import parse_json

from .models import Fault

PARTIAL_STATUSES = {409, 500, 503}


def take(project: str, endpoint: str) -> Fault | None:
    """The pending fault for this call, if any, counting it as used."""
    if not settings.DEBUG or not Fault.objects.exists():
        return None
    with transaction.atomic():
        fault = (
            Fault.objects.select_for_update()
            .filter(project=project, endpoint__in=[endpoint, "*"], remaining__gt=0)
            .order_by("created", "id")
            .first()
        )
        if fault is None:
            return None
        fault.remaining -= 1
        if fault.remaining:
            fault.save(update_fields=["remaining"])
        else:
            fault.delete()
    return fault


@csrf_exempt
def faults_view(request):
    if not settings.DEBUG:  # as if there were no such endpoint
        raise Http404
    if request.method == "DELETE":
        Fault.objects.all().delete()
        return JsonResponse({})
    if request.method != "POST":
        return JsonResponse({"error": {"code": 405, "message": "Use POST or DELETE"}}, status=405)
    try:
        spec = parse_json(request.body)
        fault = Fault(
            project=str(spec["project"]),
            endpoint=str(spec["endpoint"]),
            status=spec.get("status"),
            remaining=int(spec.get("count", 1)),
            retry_after=spec.get("retryAfter"),
            fail_records=list(spec.get("failRecords", [])),
            delay_ms=int(spec.get("delayMs", 0)),
        )
    except (ValueError, KeyError, TypeError) as error:
        return JsonResponse({"error": {"code": 400, "message": f"Bad fault: {error!r}"}}, status=400)
    if fault.fail_records and fault.status not in PARTIAL_STATUSES:
        message = f"failRecords needs status 409, 500 or 503, not {fault.status}"
        return JsonResponse({"error": {"code": 400, "message": message}}, status=400)
    fault.save()
    return JsonResponse({"id": fault.id}, status=201)
