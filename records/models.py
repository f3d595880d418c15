"""The app's own state: saved views of the record browser, and the audit log of every write."""

from django.conf import settings
from django.db import connections, models, router
from django.utils import timezone


class SavedView(models.Model):
    """A record browser view kept under a name: its query string (filter, sources, columns, mode,
    window, sort) for one stream. Private to its owner unless shared."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    stream = models.CharField(max_length=100)
    name = models.CharField(max_length=100)
    query = models.TextField(help_text="The browser's query string, without paging parameters.")
    shared = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["stream", "owner"])]
        constraints = [
            models.UniqueConstraint(fields=["owner", "stream", "name"], name="unique_view_name_per_owner")
        ]

    def __str__(self):
        return f"{self.name} ({self.stream})"


class AuditEntry(models.Model):
    """One write the app sent to CDF (or one bulk job): who, when, where, and how it ended."""

    class Action(models.TextChoices):
        CREATE = "create"
        UPDATE = "update"
        UPSERT = "upsert"
        INGEST = "ingest"
        DELETE = "delete"
        IMPORT = "import"
        BULK_EDIT = "bulk_edit"

    class Outcome(models.TextChoices):
        SUCCEEDED = "succeeded"
        PARTIAL = "partial"
        FAILED = "failed"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    # Kept as written so the log still says who after the user is deleted.
    username = models.CharField(max_length=150, db_index=True)
    stream = models.CharField(max_length=100, db_index=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    request_ids = models.JSONField(default=list, help_text="CDF's x-request-id of each call.")
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.username} {self.action} in {self.stream} at {self.at:%Y-%m-%d %H:%M:%S}"


class AuditRecord(models.Model):
    """What one write did to one record: per-property before and after, and whether it succeeded."""

    entry = models.ForeignKey(AuditEntry, on_delete=models.CASCADE, related_name="records")
    space = models.CharField(max_length=43)
    external_id = models.CharField(max_length=256)
    succeeded = models.BooleanField()
    error = models.TextField(blank=True)
    # {"space.container": {"property": {"before": ..., "after": ...}}}; absent sides mean absent values.
    changes = models.JSONField(default=dict)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["space", "external_id"])]

    def __str__(self):
        return f"{self.space}:{self.external_id}"


class Job(models.Model):
    """A bulk operation run by the worker outside the request: an import or a bulk edit (as a dry run
    or a commit), or a large export. Its progress lives here, so a restarted worker resumes where it
    stopped."""

    class Kind(models.TextChoices):
        IMPORT = "import"
        BULK_EDIT = "bulk_edit"
        EXPORT = "export"

    class Status(models.TextChoices):
        DRAFT = "draft"  # an uploaded file waiting for its mapping
        QUEUED = "queued"
        RUNNING = "running"
        PAUSED = "paused"
        CANCELLED = "cancelled"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    ACTIVE = (Status.QUEUED, Status.RUNNING)
    FINISHED = (Status.CANCELLED, Status.SUCCEEDED, Status.FAILED)

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    stream = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    dry_run = models.BooleanField(default=True)
    # The uploaded file (import), the ids of the view's records (bulk edit) or the file written
    # (export); relative to MEDIA_ROOT.
    file = models.CharField(max_length=300, blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    format = models.CharField(max_length=10, blank=True, help_text="csv, jsonl or json")
    # Import: {"columns": {column: "space.container.property"}, "space", "space_column", "id_column",
    # "id_template"}; bulk edit: {"query", "property", "value", "clear"}; export: {"query"}.
    settings = models.JSONField(default=dict)
    mode = models.CharField(max_length=10, default="upsert", help_text="ingest or upsert")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    total = models.IntegerField(null=True, blank=True)
    # Rows read and accounted for; the next run starts at this row.
    checkpoint = models.IntegerField(default=0)
    # Rows per outcome: create, update, unchanged, invalid (dry run) or created, updated, failed ...
    counts = models.JSONField(default=dict)
    # The batch being written when the job stopped: {"planned": {row: "create"|"update"}}; for an
    # export, where it goes on: {"cursor", "bytes"} (the file's length then).
    inflight = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)
    created = models.DateTimeField(default=timezone.now)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    # When the worker last reported; a running job that stays silent was lost with its worker.
    heartbeat = models.DateTimeField(null=True, blank=True)
    # Seconds spent running (across pauses and restarts), for records per second and the ETA.
    seconds = models.FloatField(default=0.0)
    audit_entry = models.ForeignKey(AuditEntry, null=True, blank=True, on_delete=models.SET_NULL)
    # The dry run this commit follows, whose mapping it reuses.
    dry_run_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self):
        return f"{self.kind} {self.id} of {self.stream} ({self.status})"


class JobRow(models.Model):
    """What a job did with one row of its input: the outcome, why, and the per-property changes."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="rows")
    row = models.IntegerField(help_text="1-based row number in the file (data rows only).")
    space = models.CharField(max_length=43, blank=True)
    external_id = models.CharField(max_length=256, blank=True)
    outcome = models.CharField(max_length=20)
    reason = models.TextField(blank=True)
    changes = models.JSONField(default=dict, blank=True)
    # The row as read, kept for invalid and failed rows so they can be downloaded, fixed and re-uploaded.
    data = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["row"]
        indexes = [models.Index(fields=["job", "outcome", "row"])]
        constraints = [models.UniqueConstraint(fields=["job", "row"], name="one_outcome_per_job_row")]

    def __str__(self):
        return f"row {self.row}: {self.outcome}"


def insert_rows(model, fields: list[str], rows: list[tuple]) -> None:
    """Insert many rows of `model` as plain tuples (values in the order of `fields`) in one
    executemany: what bulk_create does, without building a model instance and compiling SQL for every
    row, which costs more than the insert itself for the hundred thousand rows of an import."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    columns = [model._meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    names = ", ".join(quote(column.column) for column in columns)
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"
    # JSON values are adapted as the field does it (JSON text, or the driver's JSON type).
    json_at = [index for index, column in enumerate(columns) if isinstance(column, models.JSONField)]
    prepared = []
    for row in rows:
        values = list(row)
        for index in json_at:
            values[index] = columns[index].get_db_prep_save(values[index], connection)
        prepared.append(values)
    with connection.cursor() as cursor:
        cursor.executemany(sql, prepared)
