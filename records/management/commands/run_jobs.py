"""The job worker: resumes the jobs a stopped worker left running, then runs django-tasks-db's worker,
looking for jobs lost by other workers meanwhile."""

import threading
from datetime import timedelta

from django.core.management import call_command
from django.core.management.base import BaseCommand

from records.jobs.runner import LOST_AFTER, recover_lost_jobs, watch_for_lost_jobs


class Command(BaseCommand):
    help = "Run import, export and bulk edit jobs (resuming those a stopped worker left running)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--lost-after",
            type=float,
            default=LOST_AFTER.total_seconds(),
            help="On start, seconds without news after which a running job counts as lost and is "
            "resumed (0 when this is the only worker, as with `make run`); later, every minute, "
            f"those silent for {LOST_AFTER.total_seconds():.0f}.",
        )
        parser.add_argument("--batch", action="store_true", help="Run the queued jobs, then exit.")

    def handle(self, *args, lost_after, batch, **options):
        for job_id in recover_lost_jobs(timedelta(seconds=lost_after)):
            self.stdout.write(f"Resuming job {job_id}")
        worker_options = {
            "batch": batch,
            "reload": False,
            "startup_delay": not batch,
            "verbosity": options["verbosity"],
        }
        if batch:
            call_command("db_worker", **worker_options)
            return
        stop = threading.Event()
        watch = threading.Thread(target=watch_for_lost_jobs, args=(stop,), name="lost-jobs", daemon=True)
        watch.start()
        try:
            call_command("db_worker", **worker_options)
        finally:
            stop.set()
