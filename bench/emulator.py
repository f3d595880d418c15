"""Benchmark of the embedded CDF Records emulator, over real HTTP.

Starts the app with `manage.py runserver` on a fresh SQLite file, ingests 100,000 records in
1000-item requests, and times sync pages, selective filters and an aggregate when the stream
holds 10,000 and 100,000 records. Prints the figures beside the targets; exits non-zero only
when something fails (it is not a timed test). Run: `python -m bench.emulator` (`make bench`).
"""

import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "demo"
SPACE = "bench"
CONTAINER = {"type": "container", "space": SPACE, "externalId": "Measurement"}
STREAM = "bench-live"
BATCH = 1000
SIZES = (10_000, 100_000)
RUNS = 9
SITES = [f"site-{n:02d}" for n in range(1, 51)]
# One record in RARE_EVERY is at this site: 5 records at 10k, 50 at 100k.
RARE_SITE = "site-offshore"
RARE_EVERY = 2000
STATUSES = ["OK", "OK", "OK", "OK", "WARN", "ALARM", "OFFLINE"]
TAGS = ["pump", "valve", "compressor", "north", "south", "critical", "inspected", "spare"]
FIRST_OBSERVATION = datetime(2026, 1, 1, tzinfo=UTC)

# The targets for these 2-core machines, and the growth allowed as "not growing".
INGEST_TARGET = 5000  # records/s
SYNC_TARGET_MS = 150
FILTER_TARGET_MS = 300
FLAT_GROWTH = 1.5


# --- the server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """`manage.py runserver` in a subprocess, on its own SQLite file, with the emulator on; or, with
    `gunicorn`, the app as production serves it (one process, threads, DEBUG off): the dev server stalls
    small answers by some 40 ms (Nagle's algorithm against delayed ACKs), which weighs on many short
    calls."""

    def __init__(self, workdir: Path, gunicorn: bool = False):
        self.gunicorn = gunicorn
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            # The app's own settings, also when started from the tests.
            "DJANGO_SETTINGS_MODULE": "streamsadmin.settings",
            # DEBUG logs every SQL query with its parameters quoted: production's server does not.
            "DEBUG": "false" if gunicorn else "true",
            # The benchmarks speak plain HTTP.
            "SECURE_COOKIES": "false",
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
            "STATIC_ROOT": str(workdir / "static"),
            "EMULATOR_ENABLED": "true",
            # Without DEBUG the emulator takes only the tokens it knows.
            "EMULATOR_TOKENS": "bench=streamsAcl:READ streamsAcl:CREATE streamsAcl:DELETE "
            "streamRecordsAcl:READ streamRecordsAcl:WRITE dataModelsAcl:READ dataModelsAcl:WRITE",
        }
        self.log_path = workdir / "server.log"
        self.process = None

    def start(self) -> None:
        manage = [sys.executable, "manage.py"]
        subprocess.run(
            [*manage, "migrate", "--noinput"], cwd=ROOT, env=self.env, check=True, capture_output=True
        )
        if self.gunicorn:
            # Without DEBUG, pages name the collected (hashed) static files.
            subprocess.run(
                [*manage, "collectstatic", "--noinput"],
                cwd=ROOT,
                env=self.env,
                check=True,
                capture_output=True,
            )
            address = f"127.0.0.1:{self.port}"
            command = [sys.executable, "-m", "gunicorn", "-c", "python:streamsadmin.gunicorn",
                       "streamsadmin.wsgi", "--bind", address,
                       "--worker-class", "gthread", "--threads", "8", "--timeout", "600"]  # fmt: skip
        else:
            command = [*manage, "runserver", f"127.0.0.1:{self.port}", "--noreload"]
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.wait_until_answering()

    def wait_until_answering(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                requests.get(f"{self.url}/emulator/api/v1/projects/{PROJECT}/streams", timeout=2)
                return
            except (requests.ConnectionError, requests.Timeout):  # not listening yet, or still booting
                time.sleep(0.2)
        raise RuntimeError(f"the server did not answer within {seconds} s:\n{self.log_tail()}")

    def peak_rss_mb(self) -> float | None:
        """The server's peak resident memory (VmHWM), where /proc has it."""
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return None

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text().splitlines()[-lines:])

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# --- the client ----------------------------------------------------------------------------


class Api:
    """One reused session; every call must answer the expected status or the benchmark stops."""

    def __init__(self, server_url: str):
        self.base = f"{server_url}/emulator/api/v1/projects/{PROJECT}"
        self.session = requests.Session()
        self.session.headers.update({"Authorization": "Bearer bench", "Content-Type": "application/json"})

    def post(self, path: str, body: dict, expect: int = 200) -> dict:
        response = self.session.post(self.base + path, data=json.dumps(body), timeout=120)
        if response.status_code != expect:
            raise RuntimeError(f"POST {path} answered {response.status_code}: {response.text[:500]}")
        return response.json() if response.content else {}

    def timed_post(self, path: str, body: dict) -> tuple[float, dict]:
        """Seconds from sending the body (encoded beforehand) to having the decoded answer."""
        data = json.dumps(body)
        started = time.perf_counter()
        response = self.session.post(self.base + path, data=data, timeout=120)
        answer = response.json() if response.content else {}
        elapsed = time.perf_counter() - started
        if not response.ok:
            raise RuntimeError(f"POST {path} answered {response.status_code}: {response.text[:500]}")
        return elapsed, answer


def create_schema(api: Api) -> None:
    api.post("/models/spaces", {"items": [{"space": SPACE}]})
    properties = {
        "serial": {"type": {"type": "text"}, "nullable": False},
        "site": {"type": {"type": "text"}, "nullable": False},
        "status": {"type": {"type": "enum", "values": {s: {} for s in dict.fromkeys(STATUSES)}}},
        "temperature": {"type": {"type": "float64", "unit": {"externalId": "temperature:deg_c"}}},
        "counter": {"type": {"type": "int64"}},
        "observedAt": {"type": {"type": "timestamp"}, "nullable": False},
        "acknowledged": {"type": {"type": "boolean"}, "defaultValue": False},
        "tags": {"type": {"type": "text", "list": True, "maxListSize": 5}},
    }
    container = {
        "space": SPACE,
        "externalId": CONTAINER["externalId"],
        "usedFor": "record",
        "properties": properties,
    }
    api.post("/models/containers", {"items": [container]})
    stream = {"externalId": STREAM, "settings": {"template": {"name": "BasicLiveData"}}}
    api.post("/streams", {"items": [stream]}, expect=201)


def record(n: int, rng: random.Random) -> dict:
    observed = FIRST_OBSERVATION + timedelta(seconds=30 * n)
    properties = {
        "serial": f"SN-{n:07d}",
        "site": RARE_SITE if n % RARE_EVERY == RARE_EVERY // 2 else rng.choice(SITES),
        "status": rng.choice(STATUSES),
        "temperature": round(rng.gauss(65, 12), 2),
        "counter": rng.randrange(1_000_000_000),
        "observedAt": observed.isoformat().replace("+00:00", "Z"),
        "acknowledged": rng.random() < 0.3,
        "tags": rng.sample(TAGS, rng.randrange(0, 4)),
    }
    return {
        "space": SPACE,
        "externalId": f"m-{n:07d}",
        "sources": [{"source": CONTAINER, "properties": properties}],
    }


def ingest(api: Api, first: int, stop: int, rng: random.Random, times: dict) -> float:
    """Records first..stop-1 in BATCH-item requests; records/s over the requests' time.

    Notes in `times` when (epoch ms) each batch was sent, to start sync pages mid-stream.
    """
    spent = 0.0
    for start in range(first, stop, BATCH):
        body = {"items": [record(n, rng) for n in range(start, min(start + BATCH, stop))]}
        times[start] = time.time_ns() // 1_000_000
        elapsed, _ = api.timed_post(f"/streams/{STREAM}/records", body)
        spent += elapsed
    return (stop - first) / spent


# --- measurements --------------------------------------------------------------------------


def rare_count(size: int) -> int:
    """How many of the first `size` records are at RARE_SITE (see `record`)."""
    return len(range(RARE_EVERY // 2, size, RARE_EVERY))


def median_ms(call, runs: int = RUNS) -> float:
    return statistics.median(call() for _ in range(runs)) * 1000


def sync_page(api: Api, **start) -> tuple[float, dict]:
    body = {"sources": [{"source": CONTAINER, "properties": ["*"]}], "limit": BATCH, **start}
    elapsed, page = api.timed_post(f"/streams/{STREAM}/records/sync", body)
    if len(page["items"]) != BATCH or not page["hasNext"]:
        raise RuntimeError(
            f"a sync page from {start} held {len(page['items'])} items, hasNext {page['hasNext']}"
        )
    return elapsed, page


def equals_filter(api: Api, name: str, value: str, expected: int) -> float:
    body = {
        "filter": {"equals": {"property": [SPACE, CONTAINER["externalId"], name], "value": value}},
        "sources": [{"source": CONTAINER, "properties": ["*"]}],
        "limit": 100,
    }
    elapsed, answer = api.timed_post(f"/streams/{STREAM}/records/filter", body)
    if len(answer["items"]) != expected:
        raise RuntimeError(f"filter {name} = {value!r} found {len(answer['items'])} records, not {expected}")
    return elapsed


def aggregate(api: Api, size: int) -> float:
    path = [SPACE, CONTAINER["externalId"]]
    body = {
        "aggregates": {
            "total": {"count": {}},
            "byStatus": {"uniqueValues": {"property": [*path, "status"], "size": 10}},
            "meanTemperature": {"avg": {"property": [*path, "temperature"]}},
        }
    }
    elapsed, answer = api.timed_post(f"/streams/{STREAM}/records/aggregate", body)
    if answer["aggregates"]["total"]["count"] != size:
        raise RuntimeError(f"aggregate counted {answer['aggregates']['total']['count']} records, not {size}")
    return elapsed


def measure(api: Api, size: int, batch_times: dict) -> dict:
    """Timings (ms) with `size` records in the stream."""
    figures = {"first filter": equals_filter(api, "serial", f"SN-{size // 2:07d}", 1) * 1000}
    figures["filter serial"] = median_ms(lambda: equals_filter(api, "serial", f"SN-{size // 3:07d}", 1))
    figures["filter rare"] = median_ms(lambda: equals_filter(api, "site", RARE_SITE, rare_count(size)))

    # A cursor in the middle: a page from the time the middle batch was sent, then the one after it.
    middle_sent = batch_times[size // 2 // BATCH * BATCH]
    _, first_page = sync_page(api, initializeCursor=f"{time.time_ns() // 1_000_000 - middle_sent}ms-ago")
    cursor = first_page["nextCursor"]
    figures["sync middle"] = median_ms(lambda: sync_page(api, cursor=cursor)[0])
    figures["sync start"] = median_ms(lambda: sync_page(api, initializeCursor="30d-ago")[0])
    figures["aggregate"] = median_ms(lambda: aggregate(api, size), runs=5)
    return figures


# --- the report ----------------------------------------------------------------------------


def report(results: dict, ingest_rates: dict, peak_rss: float | None, total_seconds: float) -> str:
    small, large = (results[size] for size in SIZES)
    growth = large["sync middle"] / small["sync middle"]

    def timing(label: str, key: str, target_ms: int | None = None, only_large: bool = False) -> tuple:
        """A row of milliseconds; the target applies at both sizes, or only at the larger one."""
        if target_ms is None:
            return label, f"{small[key]:.0f}", f"{large[key]:.0f}", "-", None
        worst = large[key] if only_large else max(small[key], large[key])
        target = f"<= {target_ms} ms" + (f" at {SIZES[1] // 1000}k" if only_large else "")
        return label, f"{small[key]:.0f}", f"{large[key]:.0f}", target, worst <= target_ms

    rare = "/".join(str(rare_count(size)) for size in SIZES)
    # (measurement, at 10k, at 100k, target, whether the target is met or None)
    rows = [
        (
            "ingest, 1000-item requests (records/s)",
            *(f"{ingest_rates[size]:,.0f}" for size in SIZES),
            f">= {INGEST_TARGET:,}/s",
            min(ingest_rates.values()) >= INGEST_TARGET,
        ),
        timing("sync page of 1000, cursor mid-stream (ms)", "sync middle", SYNC_TARGET_MS),
        timing("sync page of 1000, initializeCursor (ms)", "sync start", SYNC_TARGET_MS),
        (
            "sync page growth, mid-stream 100k / 10k",
            "",
            f"{growth:.2f}x",
            f"not growing (< {FLAT_GROWTH}x)",
            growth < FLAT_GROWTH,
        ),
        timing("filter equals serial, 1 match, limit 100 (ms)", "filter serial", FILTER_TARGET_MS, True),
        timing(f"filter equals rare site, {rare} matches (ms)", "filter rare", FILTER_TARGET_MS, True),
        timing("first filter after ingest, loads mirror (ms)", "first filter"),
        timing("aggregate count + uniqueValues + avg (ms)", "aggregate"),
    ]
    header = ("measurement", f"{SIZES[0]:,} records", f"{SIZES[1]:,} records", "target", "met")
    table = [header] + [(*row[:4], {True: "yes", False: "NO", None: ""}[row[4]]) for row in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]

    def line(cells) -> str:
        aligned = [cells[0].ljust(widths[0]), cells[1].rjust(widths[1]), cells[2].rjust(widths[2])]
        aligned += [cells[3].ljust(widths[3]), cells[4]]
        return "  ".join(aligned).rstrip()

    lines = [line(table[0]), "  ".join("-" * width for width in widths)]
    lines += [line(row) for row in table[1:]]
    lines += [
        "",
        f"Times are medians of {RUNS} calls (aggregate: 5), measured by the client over HTTP.",
        f"Ingest at {SIZES[1]:,} is the rate of the requests from {SIZES[0]:,} to {SIZES[1]:,} records.",
        "The first filter after an ingest is not in the filter medians.",
    ]
    if peak_rss is not None:
        lines.append(f"Server peak RSS (VmHWM): {peak_rss:,.0f} MB")
    lines.append(f"Whole run: {total_seconds:.0f} s")
    return "\n".join(lines)


@contextmanager
def running(server: Server):
    """The server started, its log shown when the benchmark fails, and stopped at the end."""
    try:
        server.start()
        yield server
    except Exception:
        if server.process:
            print(f"Server log (last lines):\n{server.log_tail()}", file=sys.stderr)
        raise
    finally:
        server.stop()


def main() -> int:
    began = time.perf_counter()
    rng = random.Random(20260801)
    with (
        tempfile.TemporaryDirectory(prefix="streams-admin-bench-") as workdir,
        running(Server(Path(workdir))) as server,
    ):
        api = Api(server.url)
        create_schema(api)
        results, rates, batch_times, ingested = {}, {}, {}, 0
        for size in SIZES:
            print(f"Ingesting up to {size:,} records ...", flush=True)
            rates[size] = ingest(api, ingested, size, rng, batch_times)
            ingested = size
            print(f"Measuring at {size:,} records ...", flush=True)
            results[size] = measure(api, size, batch_times)
        peak_rss = server.peak_rss_mb()
    print()
    print(report(results, rates, peak_rss, time.perf_counter() - began))
    return 0


if __name__ == "__main__":
    sys.exit(main())
