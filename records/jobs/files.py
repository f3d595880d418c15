"""The files of jobs: uploads to import, snapshots of bulk edits, exports, kept under MEDIA_ROOT."""

import functools
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

from ..bulk import importing
from ..models import Job


def media_path(name: str) -> Path:
    return Path(settings.MEDIA_ROOT) / name


def open_rows(job: Job) -> Iterator[importing.Row]:
    with media_path(job.file).open("rb") as binary:
        yield from importing.read_rows(binary, job.format)


def count_rows(job: Job) -> int:
    """The rows of the file, for the progress bar; JSON Lines by their lines, without parsing them."""
    if job.format == "jsonl":
        count, blank = 0, True
        with media_path(job.file).open("rb") as binary:
            # Read in pieces, so that a long line (refused when rows are read) is never held whole.
            for piece in iter(functools.partial(binary.readline, importing.READ_BYTES), b""):
                blank = blank and not piece.strip()
                if piece.endswith(b"\n"):
                    count, blank = count + (not blank), True
        return count + (not blank)
    return sum(1 for _ in open_rows(job))
