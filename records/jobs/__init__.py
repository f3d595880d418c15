# Jobs queued before the task moved here name it by this dotted path in the database.
from .runner import run_job

__all__ = ["run_job"]
