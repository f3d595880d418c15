"""The emulator's endpoints: the paths of the CDF API under /emulator/api/v1/projects/<project>/.

Each view checks its request, does one thing, and returns (status, body); `api_view` does the
wire (tokens, capabilities, JSON, errors, request ids, injected faults).
"""

import base64

from django.db import transaction

from . import aggregates, definitions, filters, reads, store, streams, writes
from .clock import now_ms
from .durations import ago_ms
from .errors import ApiError, bad_request
from .faults import PARTIAL_STATUSES
from .http import api_view, authorize, read_json
from .models import Container, Space
from .schema import Schema

STREAMS_READ = ("streamsAcl:READ",)
STREAMS_CREATE = ("streamsAcl:CREATE",)
STREAMS_DELETE = ("streamsAcl:DELETE",)
RECORDS_READ = ("streamRecordsAcl:READ", "dataModelsAcl:READ")
RECORDS_WRITE = ("streamRecordsAcl:WRITE", "dataModelsAcl:READ")
RECORDS_DELETE = ("streamRecordsAcl:WRITE",)
MODELS_READ = ("dataModelsAcl:READ",)
MODELS_WRITE = ("dataModelsAcl:WRITE",)


# --- spaces and containers ---------------------------------------------------------------


def _space_shape(space: Space) -> dict:
    shape = {
        "space": space.space,
        "name": space.name,
        "description": space.description,
        "createdTime": space.created_time,
        "lastUpdatedTime": space.last_updated_time,
        "isGlobal": False,
    }
    return {key: value for key, value in shape.items() if value is not None}


def _container_shape(container: Container) -> dict:
    return definitions.container_read_shape(
        container.definition, container.created_time, container.last_updated_time
    )


def _space_ids(project: str) -> set[str]:
    return set(Space.objects.filter(project=project).values_list("space", flat=True))


def load_schema(project: str) -> Schema:
    return Schema(
        {
            (c.space, c.external_id): _container_shape(c)
            for c in Container.objects.filter(project=project, used_for="record")
        }
    )


def _page(request, items: list, shape) -> dict:
    """A page of a list endpoint, following `limit` and an opaque offset `cursor`."""
    raw_limit = request.GET.get("limit", "10")
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 1000:
        raise bad_request(f"limit must be an integer from 1 to 1000, got {raw_limit!r}")
    try:
        offset = (
            int(base64.urlsafe_b64decode(request.GET["cursor"]).decode()) if "cursor" in request.GET else 0
        )
    except ValueError:
        raise bad_request("cursor is not a cursor this endpoint returned") from None
    end = offset + int(raw_limit)
    page = {"items": [shape(item) for item in items[offset:end]]}
    if end < len(items):
        page["nextCursor"] = base64.urlsafe_b64encode(str(end).encode()).decode()
    return page


def _items(body: dict, where: str = "items", most: int = 100) -> list:
    items = body.get("items")
    if not isinstance(items, list) or not 1 <= len(items) <= most:
        raise bad_request(f"{where} must be a list of 1 to {most} objects")
    return items


def _space_ref(item: object, where: str) -> str:
    if not isinstance(item, dict) or not isinstance(item.get("space"), str):
        raise bad_request(f'{where} must be {{"space": ...}}')
    return item["space"]


def apply_spaces(project: str, body: object) -> list[dict]:
    """Create or update spaces; their read shapes."""
    items = definitions.validate_space_items(body)
    now = now_ms()
    applied = []
    with transaction.atomic():
        for item in items:
            fields = {
                "name": item.get("name"),
                "description": item.get("description"),
                "last_updated_time": now,
            }
            space, _ = Space.objects.update_or_create(
                project=project,
                space=item["space"],
                defaults=fields,
                create_defaults={**fields, "created_time": now},
            )
            applied.append(_space_shape(space))
    return applied


def apply_containers(project: str, body: object) -> list[dict]:
    """Create or update containers; their read shapes. `usedFor` of a container cannot change."""
    items = definitions.validate_container_items(body, _space_ids(project))
    now = now_ms()
    applied = []
    with transaction.atomic():
        for item in items:
            existing = Container.objects.filter(
                project=project, space=item["space"], external_id=item["externalId"]
            ).first()
            if existing and existing.used_for != item["usedFor"]:
                raise ApiError(
                    409,
                    f"Container {item['space']}:{item['externalId']} exists with usedFor "
                    f"{existing.used_for!r}; usedFor cannot be changed",
                )
            fields = {"definition": item, "used_for": item["usedFor"], "last_updated_time": now}
            container, _ = Container.objects.update_or_create(
                project=project,
                space=item["space"],
                external_id=item["externalId"],
                defaults=fields,
                create_defaults={**fields, "created_time": now},
            )
            applied.append(_container_shape(container))
    return applied


@api_view({"GET": "spaces/list", "POST": "spaces/apply"}, methods=("GET", "POST"))
def spaces(request, project):
    if request.method == "GET":
        authorize(request, MODELS_READ)
        return 200, _page(
            request, list(Space.objects.filter(project=project).order_by("space")), _space_shape
        )
    authorize(request, MODELS_WRITE)
    return 200, {"items": apply_spaces(project, read_json(request))}


@api_view("spaces/byids", MODELS_READ)
def spaces_by_ids(request, project):
    wanted = [_space_ref(item, f"items[{i}]") for i, item in enumerate(_items(read_json(request)))]
    found = {s.space: s for s in Space.objects.filter(project=project, space__in=wanted)}
    return 200, {"items": [_space_shape(found[s]) for s in dict.fromkeys(wanted) if s in found]}


@api_view("spaces/delete", MODELS_WRITE)
def spaces_delete(request, project):
    wanted = [_space_ref(item, f"items[{i}]") for i, item in enumerate(_items(read_json(request)))]
    with transaction.atomic():
        deleted = list(
            Space.objects.filter(project=project, space__in=wanted).values_list("space", flat=True)
        )
        Container.objects.filter(project=project, space__in=deleted).delete()
        Space.objects.filter(project=project, space__in=deleted).delete()
    return 200, {"items": [{"space": s} for s in deleted]}


def _container_filter(request, project):
    used_for = request.GET.getlist("usedFor") or ["node", "edge", "all"]
    unknown = set(used_for) - {"node", "edge", "all", "record"}
    if unknown:
        raise bad_request(f"usedFor must be node, edge, all or record, got {sorted(unknown)}")
    containers = Container.objects.filter(project=project, used_for__in=used_for)
    if "space" in request.GET:
        containers = containers.filter(space=request.GET["space"])
    return list(containers.order_by("space", "external_id"))


@api_view({"GET": "containers/list", "POST": "containers/apply"}, methods=("GET", "POST"))
def containers(request, project):
    if request.method == "GET":
        authorize(request, MODELS_READ)
        return 200, _page(request, _container_filter(request, project), _container_shape)
    authorize(request, MODELS_WRITE)
    return 200, {"items": apply_containers(project, read_json(request))}


def _container_refs(body: dict) -> list[tuple[str, str]]:
    refs = []
    for index, item in enumerate(_items(body)):
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("space"), str)
            or not isinstance(item.get("externalId"), str)
        ):
            raise bad_request(f'items[{index}] must be {{"space": ..., "externalId": ...}}')
        refs.append((item["space"], item["externalId"]))
    return refs


@api_view("containers/byids", MODELS_READ)
def containers_by_ids(request, project):
    refs = _container_refs(read_json(request))
    found = {
        (c.space, c.external_id): c
        for c in Container.objects.filter(project=project, space__in={s for s, _ in refs})
    }
    return 200, {"items": [_container_shape(found[r]) for r in dict.fromkeys(refs) if r in found]}


@api_view("containers/delete", MODELS_WRITE)
def containers_delete(request, project):
    refs = _container_refs(read_json(request))
    deleted = []
    with transaction.atomic():
        for space, external_id in dict.fromkeys(refs):
            count, _ = Container.objects.filter(
                project=project, space=space, external_id=external_id
            ).delete()
            if count:
                deleted.append({"space": space, "externalId": external_id})
    return 200, {"items": deleted}


# --- streams -------------------------------------------------------------------------------


@api_view({"GET": "streams/list", "POST": "streams/create"}, methods=("GET", "POST"))
def streams_root(request, project):
    if request.method == "GET":
        authorize(request, STREAMS_READ)
        active = streams.Stream.objects.filter(project=project, deleted_time__isnull=True).order_by(
            "created_time"
        )
        return 200, {"items": [streams.read_shape(s) for s in active]}
    authorize(request, STREAMS_CREATE)
    return 201, {"items": [streams.read_shape(streams.create(project, read_json(request)))]}


@api_view(
    {"GET": "streams/retrieve", "DELETE": "streams/retrieve", "POST": "streams/delete"},
    methods=("GET", "DELETE", "POST"),
)
def stream_detail(request, project, stream_id):
    if request.method == "DELETE":
        raise ApiError(410, "DELETE /streams/{streamId} is gone: use POST /streams/delete")
    if request.method == "POST":
        if stream_id == "delete":
            return streams_delete(request, project)
        raise ApiError(405, f"Method POST is not allowed on /streams/{stream_id}")
    authorize(request, STREAMS_READ)
    raw = request.GET.get("includeStatistics", "false").lower()
    if raw not in ("true", "false"):
        raise bad_request(f"includeStatistics must be true or false, got {raw!r}")
    return 200, streams.read_shape(streams.get(project, stream_id), statistics=raw == "true")


def streams_delete(request, project):
    authorize(request, STREAMS_DELETE)
    streams.soft_delete(project, read_json(request))
    return 200, {}


# --- records: writes -----------------------------------------------------------------------


def _injected(request) -> dict:
    fault = getattr(request, "fault", None)
    if not fault or fault.status not in PARTIAL_STATUSES:
        return {}
    return dict.fromkeys(fault.fail_records, fault.status)


def _write_answer(items: list[dict], outcome: store.WriteOutcome, success: int):
    if not outcome.failures:
        return success, {}
    codes = {code for code, _ in outcome.failures.values()}
    top = 503 if 503 in codes else 500 if 500 in codes else 409
    partial = []
    for item in {(i["space"], i["externalId"]): i for i in items}:
        result = {"space": item[0], "externalId": item[1], "code": 202}
        if item in outcome.failures:
            result["code"], result["message"] = outcome.failures[item]
        partial.append(result)
    count = len(outcome.failures)
    raise ApiError(top, f"{count} of {len(partial)} records failed; see 'partial'", partial=partial)


def validated_items(project: str, stream, body: dict) -> list[dict]:
    """The records of an ingest or upsert body, checked against the schema and the stream's id rules."""
    reads.check_keys(body, {"items"})
    items = writes.validate_write_items(body, load_schema(project), _space_ids(project))
    duplicated = writes.duplicate_ids(items)
    if duplicated and stream.mutable:
        raise ApiError(422, "Duplicate record identifiers in request", duplicated=duplicated)
    return items


@api_view("records/ingest", RECORDS_WRITE)
def ingest(request, project, stream_id):
    stream = streams.get(project, stream_id)
    items = validated_items(project, stream, read_json(request))
    return _write_answer(items, store.write(stream, items, "ingest", _injected(request)), 202)


@api_view("records/upsert", RECORDS_WRITE)
def upsert(request, project, stream_id):
    stream = streams.get(project, stream_id)
    store.require_mutable(stream, "upserted")
    items = validated_items(project, stream, read_json(request))
    return _write_answer(items, store.write(stream, items, "upsert", _injected(request)), 202)


@api_view("records/delete", RECORDS_DELETE)
def delete(request, project, stream_id):
    stream = streams.get(project, stream_id)
    store.require_mutable(stream, "deleted")
    body = read_json(request)
    reads.check_keys(body, {"items", "ignoreUnknownIds"})
    if body.get("ignoreUnknownIds", True) is not True:
        raise bad_request("ignoreUnknownIds can only be true: unknown ids are always ignored")
    ids = writes.validate_delete_items(body)
    duplicated = writes.duplicate_ids(ids)
    if duplicated:
        raise ApiError(422, "Duplicate record identifiers in request", duplicated=duplicated)
    return _write_answer(ids, store.delete(stream, ids, _injected(request)), 200)


# --- records: reads ------------------------------------------------------------------------


def _typing_block(schema: Schema, items: list[dict], mentioned: set) -> dict:
    """Typing for the properties in the answer and those the request mentions."""
    return reads.typing(schema, reads.properties_in(items) | mentioned)


def _include_typing(body: dict) -> bool:
    value = body.get("includeTyping", False)
    if not isinstance(value, bool):
        raise bad_request(f"includeTyping must be true or false, got {value!r}")
    return value


def _predicate(body: dict, schema: Schema):
    if "filter" not in body:
        return None
    return filters.compile_filter(body["filter"], schema)


@api_view("records/filter", RECORDS_READ)
def filter_records(request, project, stream_id):
    stream = streams.get(project, stream_id)
    body = read_json(request)
    reads.check_keys(
        body, {"lastUpdatedTime", "filter", "sources", "sort", "limit", "targetUnits", "includeTyping"}
    )
    schema = load_schema(project)
    low, high = reads.window(body, stream)
    predicate = _predicate(body, schema)
    selection = reads.sources(body, schema)
    keys = reads.sort_keys(body, schema)
    limit = reads.limit(body)
    reads.target_units(body)
    typing = _include_typing(body)
    external_ids = filters.implied_external_ids(body["filter"]) if predicate else None
    candidates = reads.in_window(store.live_records(stream, external_ids), low, high)
    if predicate:
        candidates = [r for r in candidates if predicate(r)]
    items = [reads.project(r, selection) for r in reads.first(candidates, keys, limit)]
    answer = {"items": items}
    if typing:
        mentioned = filters.referenced_properties(body["filter"]) if predicate else set()
        answer["typing"] = _typing_block(schema, items, mentioned)
    return 200, answer


@api_view("records/sync", RECORDS_READ)
def sync_records(request, project, stream_id):
    stream = streams.get(project, stream_id)
    body = read_json(request)
    reads.check_keys(
        body, {"sources", "filter", "cursor", "initializeCursor", "limit", "targetUnits", "includeTyping"}
    )
    schema = load_schema(project)
    if "cursor" in body:
        after = store.decode_cursor(stream, body["cursor"])
    elif "initializeCursor" in body:
        start = body["initializeCursor"]
        if not isinstance(start, str) or not 6 <= len(start) <= 100:
            raise bad_request(f"initializeCursor must be a string of 6 to 100 characters, got {start!r}")
        after = store.seq_before(stream, now_ms() - ago_ms(start, "initializeCursor"))
    else:
        raise bad_request("Either cursor or initializeCursor is required")
    predicate = _predicate(body, schema) or (lambda record: True)
    selection = reads.sources(body, schema)
    limit = reads.limit(body)
    reads.target_units(body)
    typing = _include_typing(body)
    found, position, has_next = store.changes(stream, after, limit, predicate)
    items = []
    for record in found:
        if record["status"] == "deleted":
            items.append({k: v for k, v in record.items() if k != "properties"})
        else:
            items.append(reads.project(record, selection))
    answer = {"items": items, "nextCursor": store.encode_cursor(stream, position), "hasNext": has_next}
    if typing:
        mentioned = filters.referenced_properties(body["filter"]) if "filter" in body else set()
        answer["typing"] = _typing_block(schema, [i for i in items if "properties" in i], mentioned)
    return 200, answer


@api_view("records/aggregate", RECORDS_READ)
def aggregate_records(request, project, stream_id):
    stream = streams.get(project, stream_id)
    body = read_json(request)
    reads.check_keys(body, {"lastUpdatedTime", "filter", "aggregates", "targetUnits", "includeTyping"})
    if "aggregates" not in body:
        raise bad_request("aggregates is required")
    schema = load_schema(project)
    low, high = reads.window(body, stream)
    predicate = _predicate(body, schema)
    reads.target_units(body)
    typing = _include_typing(body)
    candidates = reads.in_window(store.live_records(stream), low, high)
    if predicate:
        candidates = [r for r in candidates if predicate(r)]
    answer = {"aggregates": aggregates.run_aggregates(body["aggregates"], candidates, schema)}
    if typing:
        mentioned = aggregates.referenced_properties(body["aggregates"])
        if predicate:
            mentioned |= filters.referenced_properties(body["filter"])
        answer["typing"] = reads.typing(schema, mentioned)
    return 200, answer
