"""What the emulator keeps: spaces, containers, streams and their records.

Records are one row each, holding their latest state. Every change gives the row the next
sequence number of its stream, so the change feed (sync) is "rows with seq above the cursor,
in seq order": a record changed several times appears once, with its latest state. A deleted
record of a mutable stream stays as a tombstone row (status "deleted", no data).
"""

import uuid

from django.db import models


class Space(models.Model):
    project = models.CharField(max_length=100)
    space = models.CharField(max_length=43)
    name = models.CharField(max_length=255, null=True, blank=True)
    description = models.CharField(max_length=1024, null=True, blank=True)
    created_time = models.BigIntegerField()
    last_updated_time = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "space"], name="unique_space")]


class Container(models.Model):
    project = models.CharField(max_length=100)
    space = models.CharField(max_length=43)
    external_id = models.CharField(max_length=255)
    used_for = models.CharField(max_length=10)
    # The read shape without the timestamps: name, description, usedFor, properties, ...
    definition = models.JSONField()
    created_time = models.BigIntegerField()
    last_updated_time = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "space", "external_id"], name="unique_container")
        ]


class Stream(models.Model):
    project = models.CharField(max_length=100)
    external_id = models.CharField(max_length=100)
    # Changes on every (re)creation, so caches keyed by it never outlive the stream.
    uid = models.UUIDField(default=uuid.uuid4, unique=True)
    template = models.CharField(max_length=100)
    mutable = models.BooleanField()
    settings = models.JSONField()
    created_time = models.BigIntegerField()
    # Soft delete: the stream is gone from the API but its id stays reserved.
    deleted_time = models.BigIntegerField(null=True, blank=True)
    # The last sequence number and lastUpdatedTime handed out; both only grow.
    last_seq = models.BigIntegerField(default=0)
    last_time = models.BigIntegerField(default=0)
    record_count = models.BigIntegerField(default=0)
    byte_count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "external_id"], name="unique_stream")]


class Record(models.Model):
    CREATED, UPDATED, DELETED = "created", "updated", "deleted"

    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="records")
    space = models.CharField(max_length=43)
    external_id = models.CharField(max_length=256)
    # "space:externalId" on mutable streams (where the pair is unique), null on immutable ones.
    unique_key = models.CharField(max_length=300, null=True, blank=True)
    # Hash of the content on immutable streams, where exact duplicates are dropped.
    content_hash = models.CharField(max_length=64, null=True, blank=True)
    created_time = models.BigIntegerField()
    last_updated_time = models.BigIntegerField()
    seq = models.BigIntegerField()
    status = models.CharField(max_length=10)
    # {containerSpace: {containerExternalId: {property: value}}}, the read shape of `properties`.
    properties = models.JSONField(null=True, blank=True)
    size = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["stream", "unique_key"], name="unique_mutable_record"),
            models.UniqueConstraint(fields=["stream", "seq"], name="unique_record_seq"),
        ]
        indexes = [
            models.Index(fields=["stream", "last_updated_time"], name="record_time"),
            # Filters naming records by id (an import's lookups) read just those rows.
            models.Index(fields=["stream", "external_id"], name="record_external_id"),
            models.Index(fields=["stream", "content_hash"], name="record_content"),
        ]


class Fault(models.Model):
    """A fault to inject into the next calls of an endpoint, for tests (see emulator/faults.py)."""

    project = models.CharField(max_length=100)
    # e.g. "records/ingest", "records/filter", "streams/list"; "*" for every endpoint.
    endpoint = models.CharField(max_length=50)
    status = models.IntegerField(null=True, blank=True)
    remaining = models.IntegerField(default=1)
    retry_after = models.IntegerField(null=True, blank=True)
    # For 409/500/503 partial answers: the "space:externalId" records that fail; others succeed.
    fail_records = models.JSONField(default=list, blank=True)
    delay_ms = models.IntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)
