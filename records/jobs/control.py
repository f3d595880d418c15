"""Controlling a job: finishing it, pausing or cancelling it, and stopping between batches when asked to."""

from collections.abc import Callable

from django.utils import timezone

from ..audit import log
from ..models import Job


class Stopped(Exception):
    """The job was paused or cancelled between two batches."""


def finish(job: Job, status: str, message: str = "") -> None:
    job.status = status
    job.message = message
    job.finished = timezone.now()
    if job.audit_entry_id is not None:
        counts = ", ".join(f"{count} {outcome}" for outcome, count in sorted(job.counts.items()))
        log.close_entry(job.audit_entry, f"{job.kind} job {job.id} ({job.file_name}): {counts}")
    job.save(update_fields=["status", "message", "finished"])


def pause(job: Job) -> bool:
    return _set_status(job, Job.ACTIVE, Job.Status.PAUSED)


def cancel(job: Job) -> bool:
    """Cancel a job; a paused or queued one ends now, a running one after its current batch."""
    if _set_status(job, (Job.Status.PAUSED, Job.Status.QUEUED), Job.Status.CANCELLED):
        job.refresh_from_db()
        finish(job, Job.Status.CANCELLED, "Cancelled before it ended.")
        return True
    return _set_status(job, (Job.Status.RUNNING,), Job.Status.CANCELLED)


def _set_status(job: Job, allowed, status: str) -> bool:
    changed = Job.objects.filter(id=job.id, status__in=allowed).update(status=status)
    if changed:
        job.status = status
    return bool(changed)


def check_stop(job: Job, settle: Callable[[], None] = lambda: None) -> None:
    """Stop between batches, once `settle()` has saved what is under way, when the user paused or
    cancelled the job, or when a worker took it for lost (this one was silent too long) and queued it
    again: the new run goes on from the checkpoint."""
    status = Job.objects.values_list("status", flat=True).get(id=job.id)
    if status in (Job.Status.PAUSED, Job.Status.CANCELLED, Job.Status.QUEUED):
        settle()
    if status in (Job.Status.PAUSED, Job.Status.QUEUED):
        raise Stopped
    if status == Job.Status.CANCELLED:
        job.refresh_from_db()
        finish(job, Job.Status.CANCELLED, "Cancelled before it ended.")
        raise Stopped
