"""Streams: templates, creation, the read shape, soft delete."""

import re

from django.db import IntegrityError, transaction

from .clock import now_ms
from .errors import ApiError, bad_request
from .models import Stream

STREAM_ID_RE = re.compile(r"^[a-z]([a-z0-9_-]{0,98}[a-z0-9])?$")
RESERVED_STREAM_IDS = {"logs", "records"}
RESERVED_STREAM_PREFIXES = ("cdf_", "cognite_")

# The settings each template gives a stream. Only `type` is documented by CDF; the rest are
# the emulator's choices (records-api.md §3.2).
TEMPLATES = {
    "ImmutableTestStream": {
        "mutable": False,
        "lifecycle": {"retainedAfterSoftDelete": "PT24H", "dataDeletedAfter": "PT168H"},
        "limits": {
            "maxRecordsTotal": {"provisioned": 500_000_000},
            "maxGigaBytesTotal": {"provisioned": 500},
            "maxFilteringInterval": "PT168H",
        },
    },
    "BasicArchive": {
        "mutable": False,
        "lifecycle": {"retainedAfterSoftDelete": "P42D"},
        "limits": {
            "maxRecordsTotal": {"provisioned": 1_000_000_000},
            "maxGigaBytesTotal": {"provisioned": 1000},
            "maxFilteringInterval": "P365D",
        },
    },
    "BasicLiveData": {
        "mutable": True,
        "lifecycle": {"retainedAfterSoftDelete": "P42D"},
        "limits": {
            "maxRecordsTotal": {"provisioned": 5_000_000},
            "maxGigaBytesTotal": {"provisioned": 50},
        },
    },
}


def validate_stream_id(stream_id: object, where: str) -> str:
    if not isinstance(stream_id, str) or not STREAM_ID_RE.match(stream_id):
        raise bad_request(
            f"{where} must be 1-100 characters of lowercase letters, digits, '_' and '-', starting with a "
            f"letter and ending with a letter or digit, got {stream_id!r}"
        )
    if stream_id in RESERVED_STREAM_IDS or stream_id.startswith(RESERVED_STREAM_PREFIXES):
        raise bad_request(f"{where} {stream_id!r} is reserved (logs, records, cdf_*, cognite_*)")
    return stream_id


def only_item(body: dict, where: str = "items") -> dict:
    items = body.get("items")
    if not isinstance(items, list) or len(items) != 1 or not isinstance(items[0], dict):
        raise bad_request(f"{where} must be a list of exactly one object")
    return items[0]


def create(project: str, body: dict) -> Stream:
    item = only_item(body)
    unknown = set(item) - {"externalId", "settings"}
    if unknown:
        raise bad_request(f"items[0] has unknown fields: {', '.join(sorted(unknown))}")
    stream_id = validate_stream_id(item.get("externalId"), "items[0].externalId")
    template = (
        (item.get("settings") or {}).get("template") if isinstance(item.get("settings"), dict) else None
    )
    name = template.get("name") if isinstance(template, dict) else None
    if name not in TEMPLATES:
        raise bad_request(
            f"items[0].settings.template.name must be one of {', '.join(TEMPLATES)}, got {name!r}"
        )
    settings = {key: TEMPLATES[name][key] for key in ("lifecycle", "limits")}
    try:
        with transaction.atomic():
            return Stream.objects.create(
                project=project,
                external_id=stream_id,
                template=name,
                mutable=TEMPLATES[name]["mutable"],
                settings=settings,
                created_time=now_ms(),
            )
    except IntegrityError:
        deleted = Stream.objects.filter(project=project, external_id=stream_id, deleted_time__isnull=False)
        reason = "was deleted and its id stays reserved" if deleted.exists() else "already exists"
        raise ApiError(
            409, f"Stream {stream_id!r} {reason}", duplicated=[{"externalId": stream_id}]
        ) from None


def get(project: str, stream_id: str) -> Stream:
    """The active stream with this id; 400 for a malformed id, 404 for an unknown one."""
    validate_stream_id(stream_id, "streamId")
    stream = Stream.objects.filter(project=project, external_id=stream_id, deleted_time__isnull=True).first()
    if stream is None:
        raise ApiError(404, f"Stream {stream_id!r} does not exist")
    return stream


def read_shape(stream: Stream, statistics: bool = False) -> dict:
    settings = {
        "lifecycle": dict(stream.settings["lifecycle"]),
        "limits": {
            key: value.copy() if isinstance(value, dict) else value
            for key, value in stream.settings["limits"].items()
        },
    }
    if statistics:
        settings["limits"]["maxRecordsTotal"]["consumed"] = stream.record_count
        settings["limits"]["maxGigaBytesTotal"]["consumed"] = round(stream.byte_count / 1e9, 9)
    return {
        "externalId": stream.external_id,
        "createdTime": stream.created_time,
        "createdFromTemplate": stream.template,
        "type": "Mutable" if stream.mutable else "Immutable",
        "settings": settings,
    }


def soft_delete(project: str, body: dict) -> None:
    item = only_item(body)
    stream_id = validate_stream_id(item.get("externalId"), "items[0].externalId")
    Stream.objects.filter(project=project, external_id=stream_id, deleted_time__isnull=True).update(
        deleted_time=now_ms()
    )
