"""The app's own state: saved views of the record browser, and the audit log of every write."""

from django.conf import settings
from django.db import models
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
