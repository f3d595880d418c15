"""Benchmark of the import job against the official SDK, in one run, against one emulator.

Writes a JSON Lines file of 100,000 records (about 100 MB: each record carries a ~900-character
note), then:
1. the SDK: `client.data_modeling.records.upsert` of the same 100,000 records (read from the file
   beforehand, outside the time) into the stream `sdk-upsert`;
2. the app: the file uploaded through the import page as an editor, mapped, dry run and committed
   into the stream `app-import`; each job runs in its own `manage.py run_jobs --batch` process, whose
   wall time and peak memory are measured (the commit's time includes reading the file, checking
   every row and looking up the existing records).
Prints the figures, the ratio of our throughput to the SDK's and the targets. Exits non-zero only
when something fails. Run: `python -m bench.imports` (`make bench`).
"""

import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from .browser import app_server
from .emulator import ROOT, Api, running

SPACE = "bench"
CONTAINER = "Imported"
RECORDS = 100_000
NOTE_CHARS = 900
EDITOR = {"X-Forwarded-User": "bench-editor", "X-Forwarded-Groups": "streams-editors"}
STATUSES = ["OK", "WARN", "ALARM", "OFFLINE"]
# The targets.
RATIO_TARGET = 1.0
MEMORY_TARGET_MB = 300


def create_schema(api: Api) -> None:
    api.post("/models/spaces", {"items": [{"space": SPACE}]})
    properties = {
        "serial": {"type": {"type": "text"}, "nullable": False},
        "status": {"type": {"type": "enum", "values": {s: {} for s in STATUSES}}},
        "temperature": {"type": {"type": "float64"}},
        "counter": {"type": {"type": "int64"}},
        "observedAt": {"type": {"type": "timestamp"}, "nullable": False},
        "tags": {"type": {"type": "text", "list": True, "maxListSize": 5}},
        "note": {"type": {"type": "text"}},
    }
    container = {"space": SPACE, "externalId": CONTAINER, "usedFor": "record", "properties": properties}
    api.post("/models/containers", {"items": [container]})
    for stream in ("sdk-upsert", "app-import"):
        body = {"items": [{"externalId": stream, "settings": {"template": {"name": "BasicLiveData"}}}]}
        api.post("/streams", body, expect=201)


def write_file(path: Path, count: int) -> None:
    rng = random.Random(20260801)
    with path.open("w") as out:
        for n in range(count):
            line = {
                "externalId": f"imp-{n:07d}",
                "serial": f"SN-{n:07d}",
                "status": rng.choice(STATUSES),
                "temperature": round(rng.gauss(65, 12), 2),
                "counter": rng.randrange(1_000_000_000),
                "observedAt": f"2026-08-01T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}.000Z",
                "tags": rng.sample(["pump", "valve", "north", "south", "spare"], rng.randrange(0, 3)),
                "note": "".join(rng.choice("abcdefghij ") for _ in range(NOTE_CHARS)),
            }
            out.write(json.dumps(line) + "\n")


def sdk_upsert(server_url: str, path: Path) -> float:
    """Seconds the SDK takes to upsert every record of the file (parsed beforehand)."""
    from cognite.client import ClientConfig, CogniteClient, global_config
    from cognite.client.credentials import Token
    from cognite.client.data_classes.data_modeling.records import RecordContainerId, RecordSource, RecordWrite

    global_config.disable_pypi_version_check = True
    global_config.silence_feature_preview_warnings = True
    config = ClientConfig(
        client_name="streams-admin-bench",
        project="demo",
        credentials=Token("bench"),
        base_url=f"{server_url}/emulator",
        timeout=120,
    )
    client = CogniteClient(config)
    source = RecordContainerId(SPACE, CONTAINER)
    items = []
    with path.open() as lines:
        for line in lines:
            values = json.loads(line)
            external_id = values.pop("externalId")
            items.append(RecordWrite(SPACE, external_id, [RecordSource(source, values)]))
    started = time.perf_counter()
    client.data_modeling.records.upsert(items, stream_id="sdk-upsert")
    return time.perf_counter() - started


class Editor:
    """A signed-in editor posting the import forms with their CSRF token."""

    def __init__(self, url: str):
        self.url = url
        self.session = requests.Session()
        self.session.headers.update(EDITOR)

    def token(self, path: str) -> str:
        page = self.session.get(self.url + path, timeout=60)
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)

    def post(self, path: str, data: dict, files=None, page: str | None = None) -> requests.Response:
        """Posts the form of `page` (by default `path` itself) to `path`."""
        data = {"csrfmiddlewaretoken": self.token(page or path), **data}
        answer = self.session.post(
            self.url + path, data=data, files=files, headers={"Referer": self.url + path}, timeout=600
        )
        if not answer.ok:
            raise RuntimeError(f"POST {path} answered {answer.status_code}: {answer.text[:500]}")
        return answer


def run_worker(env: dict) -> dict:
    """One `run_jobs --batch` pass in its own process: the job's time (started to finished) and the
    process's peak memory."""
    command = [sys.executable, "-m", "bench.imports", "--worker"]
    done = subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def worker() -> None:
    """The worker side (`--worker`): run the queued jobs, print seconds and peak memory as JSON."""
    import django
    from django.core.management import call_command

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "streamsadmin.settings")
    django.setup()
    from records.models import Job

    call_command("run_jobs", batch=True, verbosity=0)
    job = Job.objects.latest("finished")
    # VmHWM, not getrusage: Linux carries the parent's peak over into a child's ru_maxrss.
    status = Path("/proc/self/status").read_text()
    peak_mb = next(int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmHWM:"))
    print(json.dumps({"seconds": (job.finished - job.started).total_seconds(), "peak_mb": peak_mb}))


def job_counts(editor: Editor, job_url: str) -> dict[str, int]:
    page = editor.session.get(editor.url + job_url, timeout=60).text
    return {label: int(count) for label, count in re.findall(r'<th scope="row">([^<]+)</th><td>(\d+)<', page)}


def app_import(server, path: Path) -> dict:
    editor = Editor(server.url)
    with path.open("rb") as upload:
        answer = editor.post("/streams/app-import/import/", {}, files={"file": (path.name, upload)})
    setup = answer.url.removeprefix(server.url)
    answer = editor.post(setup, {**_mapping(answer.text), "space": SPACE, "action": "dry_run"})
    job_url = answer.url.removeprefix(server.url)
    dry_run = run_worker(server.env)
    dry_run["counts"] = job_counts(editor, job_url)
    answer = editor.post(f"{job_url}commit/", {}, page=job_url)
    commit_url = answer.url.removeprefix(server.url)
    commit = run_worker(server.env)
    commit["counts"] = job_counts(editor, commit_url)
    return {"dry_run": dry_run, "commit": commit}


def _mapping(setup_page: str) -> dict:
    """The form's fields as the page proposes them (columns matched by name)."""
    fields = {"mode": "upsert", "id_column": "externalId"}
    for name, body in re.findall(r'<select name="(map-\d+)"[^>]*>(.*?)</select>', setup_page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', body)
        fields[name] = chosen.group(1) if chosen else ""
    return fields


def report(records: int, file_mb: float, sdk_seconds: float, ours: dict) -> str:
    sdk_rate = records / sdk_seconds
    commit_rate = records / ours["commit"]["seconds"]
    dry_rate = records / ours["dry_run"]["seconds"]
    ratio = commit_rate / sdk_rate
    peak = max(ours["commit"]["peak_mb"], ours["dry_run"]["peak_mb"])
    rows = [
        ("", "records/s", "seconds", "peak MB", "target"),
        ("SDK records.upsert", f"{sdk_rate:,.0f}", f"{sdk_seconds:.1f}", "", ""),
        (
            "import job: commit",
            f"{commit_rate:,.0f}",
            f"{ours['commit']['seconds']:.1f}",
            f"{ours['commit']['peak_mb']:.0f}",
            "",
        ),
        (
            "import job: dry run",
            f"{dry_rate:,.0f}",
            f"{ours['dry_run']['seconds']:.1f}",
            f"{ours['dry_run']['peak_mb']:.0f}",
            "",
        ),
        ("ratio commit / SDK", f"{ratio:.2f}", "", "", f">= {RATIO_TARGET} {_met(ratio >= RATIO_TARGET)}"),
        (
            f"peak memory, {file_mb:.0f} MB file",
            "",
            "",
            f"{peak:.0f}",
            f"< {MEMORY_TARGET_MB} MB {_met(peak < MEMORY_TARGET_MB)}",
        ),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    lines.append(f"dry run rows: {ours['dry_run']['counts']}")
    lines.append(f"commit rows: {ours['commit']['counts']}")
    return "\n".join(lines)


def _met(ok: bool) -> str:
    return "(met)" if ok else "(NOT met)"


def main() -> int:
    records = int(os.environ.get("BENCH_IMPORT_RECORDS", RECORDS))
    with tempfile.TemporaryDirectory(prefix="streams-admin-import-bench-") as workdir:
        # Many short calls (the job's lookups) against the server production uses, not the dev server.
        server = app_server(Path(workdir), gunicorn=True)
        # The uploads go where the worker processes read them.
        server.env["MEDIA_ROOT"] = str(Path(workdir) / "media")
        with running(server):
            ours, sdk_seconds, file_mb = compare(server, Path(workdir), records)
    print()
    print(report(records, file_mb, sdk_seconds, ours))
    return 0


def compare(server, workdir: Path, records: int) -> tuple[dict, float, float]:
    """The SDK's upsert and our import of the same file: (our figures, SDK seconds, file MB)."""
    path = workdir / "records.jsonl"
    print(f"Writing {records:,} records to {path.name} ...", flush=True)
    write_file(path, records)
    file_mb = path.stat().st_size / 1024 / 1024
    create_schema(Api(server.url))
    print(f"SDK upsert of {file_mb:.0f} MB ...", flush=True)
    sdk_seconds = sdk_upsert(server.url, path)
    print("Import job: upload, dry run, commit ...", flush=True)
    ours = app_import(server, path)
    expected = {"To create": records}
    if ours["dry_run"]["counts"] != expected or ours["commit"]["counts"] != {"Created": records}:
        raise RuntimeError(f"the import did not account for every record: {ours}")
    return ours, sdk_seconds, file_mb


if __name__ == "__main__":
    if "--worker" in sys.argv:
        worker()
        sys.exit(0)
    sys.exit(main())
