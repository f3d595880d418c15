"""How far a job has come, for its page."""

from ..models import Job


def progress(job: Job) -> dict:
    """Rows done of the total, rows per second and the seconds left, for the progress bar."""
    done = job.checkpoint
    total = job.total or 0
    rate = done / job.seconds if job.seconds and done else None
    left = (total - done) / rate if rate and total >= done else None
    return {
        "done": done,
        "total": total,
        # An export's total is the count when it started; records may have come since.
        "percent": int(100 * min(done, total) / total)
        if total
        else (100 if job.status in Job.FINISHED else 0),
        "rate": rate,
        "eta_seconds": left,
    }
