"""Benchmark of the record browser page, over real HTTP, against the CDF calls it makes.

Starts the app as `bench.emulator` does, with the app's CDF client pointed at its own emulator and
sign-in by the SSO proxy's headers. Ingests 5,000 records, then times the change-feed page and its
Load-more fragment at 100 and 1000 rows beside the same CDF calls sent straight to the emulator, and
reads the server's memory around a burst of 1000-row pages. Prints the figures, ratios and targets;
exits non-zero only when something fails. Run: `python -m bench.browser`.
"""

import html
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
from django.utils.datastructures import MultiValueDict

from bench.emulator import PROJECT, STREAM, Api, Server, create_schema, ingest, running
from records.browse import browsing

RECORDS = 5000
PAGE_SIZES = (100, 1000)
RUNS = 9
MEMORY_BURST = 10  # 1000-row pages
# What the SSO proxy sends for a viewer; the app trusts it from 127.0.0.1.
VIEWER = {"X-Forwarded-User": "bench", "X-Forwarded-Groups": "streams-viewers"}
# What htmx sends when the Load more link is clicked.
LOAD_MORE = {"HX-Request": "true", "HX-Target": "record-rows", "HX-Trigger": "load-more-link"}
LOAD_MORE_LINK_RE = re.compile(r'<a href="([^"]+)" role="button" id="load-more-link"')
ROW_MARK = '<th scope="row">'
CONTAINER_LIST = {"usedFor": "record", "limit": 1000}

# The issue's targets: the page's time over its CDF calls' time, by page size, and its memory.
RATIO_TARGETS = {100: 1.3, 1000: 1.5}
MEMORY_TARGET_MB = 50


# --- the app -------------------------------------------------------------------------------


def app_server(workdir: Path, gunicorn: bool = False) -> Server:
    """The app and its emulator on one port, the app reading CDF from that emulator (not started)."""
    server = Server(workdir, gunicorn=gunicorn)
    server.env.update(
        {
            # Sign-in as in production. The dev server keeps DEBUG on, so that static files need no
            # collectstatic.
            "AUTH_MODE": "proxy",
            "CDF_BASE_URL": f"{server.url}/emulator",
            "CDF_PROJECT": PROJECT,
            "CDF_TOKEN": "bench",
        }
    )
    return server


def memory_mb(pid: int) -> dict:
    """VmRSS and VmHWM (its peak) of a process, in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return {name: int(fields[name].split()[0]) / 1024 for name in ("VmRSS", "VmHWM")}


def reset_peak(pid: int) -> bool:
    """Sets VmHWM back to the current VmRSS (Linux 4.0+), so the peak of what follows can be read."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class Browser:
    """A signed-in viewer; every page must answer 200 or the benchmark stops."""

    def __init__(self, server_url: str):
        self.server_url = server_url
        self.session = requests.Session()
        self.session.headers.update(VIEWER)

    def canonical_url(self, path: str) -> str:
        """Where the page sends a visit without a query string: its default view."""
        response = self.session.get(self.server_url + path, allow_redirects=False, timeout=60)
        if response.status_code != 302:
            raise RuntimeError(f"GET {path} answered {response.status_code}, not a redirect to a view")
        return response.headers["Location"]

    def timed_get(self, url: str, headers: dict | None = None) -> tuple[float, str]:
        started = time.perf_counter()
        response = self.session.get(self.server_url + url, headers=headers, timeout=120)
        text = response.text
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}: {text[:500]}")
        return elapsed, text


def view_url(canonical: str, size: int, columns: list[str]) -> str:
    """The canonical view with another page size and the given columns."""
    parts = urlsplit(canonical)
    pairs = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("size", "column")]
    pairs += [("column", key) for key in columns] + [("size", str(size))]
    return f"{parts.path}?{urlencode(pairs)}"


def check_rows(text: str, expected: int, what: str) -> None:
    if text.count(ROW_MARK) != expected:
        raise RuntimeError(f"the {what} held {text.count(ROW_MARK)} rows, not {expected}")


def load_more_url(page: str) -> str:
    match = LOAD_MORE_LINK_RE.search(page)
    if not match:
        raise RuntimeError("the page has no Load more link")
    return html.unescape(match.group(1))


# --- the CDF calls of the page -------------------------------------------------------------


def timed_get(api: Api, path: str, params: dict | None = None) -> tuple[float, dict]:
    started = time.perf_counter()
    response = api.session.get(api.base + path, params=params, timeout=60)
    answer = response.json()
    elapsed = time.perf_counter() - started
    if not response.ok:
        raise RuntimeError(f"GET {path} answered {response.status_code}: {response.text[:500]}")
    return elapsed, answer


def browser_state(api: Api, url: str) -> browsing.BrowserState:
    """The page's state for a view URL, made by the page's own parser from the emulator's answers."""
    params = MultiValueDict()
    for key, value in parse_qsl(urlsplit(url).query):
        params.appendlist(key, value)
    _, stream = timed_get(api, f"/streams/{STREAM}")
    _, containers = timed_get(api, "/models/containers", CONTAINER_LIST)
    state = browsing.parse_state(params, stream, containers["items"])
    if not state.valid:
        raise RuntimeError(f"the view {url} is not valid: {state.errors}")
    return state


def page_calls(api: Api, state: browsing.BrowserState, cursor: str | None = None) -> dict:
    """Seconds of each CDF call the page makes, with the bodies it sends: the stream, the count and
    the first page of the change feed; for the fragment (a cursor), the stream and the next page."""
    times = {"stream": timed_get(api, f"/streams/{STREAM}")[0]}
    if cursor is None:
        count, _ = browsing.count_query(state, int(time.time() * 1000))
        times["count"], answer = api.timed_post(f"/streams/{STREAM}/records/aggregate", count)
        if answer["aggregates"]["count"]["count"] != RECORDS:
            raise RuntimeError(f"the count aggregate answered {answer}, not {RECORDS} records")
    sync = browsing.sync_query(state, cursor)
    times["sync"], page = api.timed_post(f"/streams/{STREAM}/records/sync", sync)
    if len(page["items"]) != state.size:
        raise RuntimeError(f"a sync page held {len(page['items'])} items, not {state.size}")
    return times


# --- measurements --------------------------------------------------------------------------


def measure(browser: Browser, api: Api, url: str, size: int) -> dict:
    """Medians (ms) of the page, the fragment and their CDF calls. Each run times the page, then its
    calls, then the fragment, then its calls, so that a slow spell of the machine hits both sides."""
    state = browser_state(api, url)
    _, page = browser.timed_get(url)  # fills the app's container cache
    more_url = load_more_url(page)
    cursor = dict(parse_qsl(urlsplit(more_url).query))["cursor"]
    runs = []
    for _ in range(RUNS):
        run = {}
        run["page"], page = browser.timed_get(url)
        check_rows(page, size, f"{size}-row page")
        calls = page_calls(api, state)
        run["fragment"], fragment = browser.timed_get(more_url, headers=LOAD_MORE)
        check_rows(fragment, size, f"{size}-row Load-more fragment")
        more_calls = page_calls(api, state, cursor)
        # The app caches the container list (CDF_SCHEMA_CACHE_SECONDS), so it is not in the sums.
        run["containers"], _ = timed_get(api, "/models/containers", CONTAINER_LIST)
        run.update(calls)
        run["sync from cursor"] = more_calls["sync"]
        run["page calls"], run["fragment calls"] = sum(calls.values()), sum(more_calls.values())
        runs.append(run)
    figures = {name: statistics.median(run[name] for run in runs) * 1000 for name in runs[0]}
    figures["page kB"], figures["fragment kB"] = len(page.encode()) / 1024, len(fragment.encode()) / 1024
    return figures


def measure_memory(browser: Browser, server: Server, url: str) -> dict:
    """The server's memory (MB) before and after MEMORY_BURST 1000-row pages, and its peak meanwhile
    (None where the peak cannot be reset: it would be the ingest's)."""
    pid = server.process.pid
    before = memory_mb(pid)
    peak_reset = reset_peak(pid)
    for _ in range(MEMORY_BURST):
        browser.timed_get(url)
    after = memory_mb(pid)
    peak = after["VmHWM"] if peak_reset else None
    return {"before": before["VmRSS"], "after": after["VmRSS"], "peak": peak}


# --- the report ----------------------------------------------------------------------------


def report(results: dict, memory: dict, columns: list[str], total_seconds: float) -> str:
    def figures(key: str, form: str = "{:.0f}") -> tuple:
        return tuple(form.format(results[size][key]) for size in PAGE_SIZES)

    def ratio(label: str, served: str, calls: str) -> tuple:
        ratios = [results[size][served] / results[size][calls] for size in PAGE_SIZES]
        met = all(r <= RATIO_TARGETS[size] for r, size in zip(ratios, PAGE_SIZES, strict=True))
        target = " / ".join(f"<= {RATIO_TARGETS[size]}x" for size in PAGE_SIZES)
        return (label, *(f"{r:.2f}x" for r in ratios), target, "yes" if met else "NO")

    added = None if memory["peak"] is None else memory["peak"] - memory["before"]
    # (measurement, at 100 rows, at 1000 rows, target, met)
    rows = [
        ("browser page, change feed (ms)", *figures("page"), "", ""),
        ("  its CDF calls: stream + count + sync (ms)", *figures("page calls"), "", ""),
        ratio("  page / its CDF calls", "page", "page calls"),
        ("Load-more fragment (ms)", *figures("fragment"), "", ""),
        ("  its CDF calls: stream + sync from cursor (ms)", *figures("fragment calls"), "", ""),
        ratio("  fragment / its CDF calls", "fragment", "fragment calls"),
        ("CDF call: stream retrieve (ms)", *figures("stream"), "", ""),
        ("CDF call: count aggregate (ms)", *figures("count"), "", ""),
        ("CDF call: sync with initializeCursor (ms)", *figures("sync"), "", ""),
        ("CDF call: sync from the Load-more cursor (ms)", *figures("sync from cursor"), "", ""),
        ("CDF call: container list, cached by the app (ms)", *figures("containers"), "", ""),
        ("HTML of the page (kB)", *figures("page kB"), "", ""),
        ("HTML of the fragment (kB)", *figures("fragment kB"), "", ""),
        (
            f"server memory added by {MEMORY_BURST} 1000-row pages, peak (MB)",
            "",
            "n/a" if added is None else f"{added:.1f}",
            f"< {MEMORY_TARGET_MB} MB",
            "" if added is None else ("yes" if added < MEMORY_TARGET_MB else "NO"),
        ),
        ("  still held after them (MB of VmRSS)", "", f"{memory['after'] - memory['before']:.1f}", "", ""),
    ]
    header = ("measurement", *(f"{size} rows" for size in PAGE_SIZES), "target", "met")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells) -> str:
        aligned = [cells[0].ljust(widths[0]), cells[1].rjust(widths[1]), cells[2].rjust(widths[2])]
        return "  ".join([*aligned, cells[3].ljust(widths[3]), cells[4]]).rstrip()

    names = ", ".join(key.rsplit(".", 1)[1] for key in columns)
    return "\n".join(
        [
            line(header),
            "  ".join("-" * width for width in widths),
            *(line(row) for row in rows),
            "",
            f"Stream {STREAM}, {RECORDS:,} records; change feed from 30 days ago with {len(columns)} columns "
            f"({names}).",
            f"Times are medians of {RUNS} runs, measured by the client over HTTP. The CDF calls are the "
            "page's own,",
            "with its bodies, sent straight to the emulator of the same server. The page's targets apply to "
            "the fragment too.",
            f"Server VmRSS before the burst {memory['before']:.0f} MB, after {memory['after']:.0f} MB.",
            f"Whole run: {total_seconds:.0f} s",
        ]
    )


def main() -> int:
    began = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="streams-admin-bench-") as workdir,
        running(app_server(Path(workdir))) as server,
    ):
        api = Api(server.url)
        create_schema(api)
        print(f"Ingesting {RECORDS:,} records ...", flush=True)
        ingest(api, 0, RECORDS, random.Random(20260801), {})
        browser = Browser(server.url)
        canonical = browser.canonical_url(f"/streams/{STREAM}/")
        # Every property as a column: each type's display is in the page.
        state = browser_state(api, canonical)
        columns = [column.key for c in state.containers for column in browsing.container_columns(c)]
        results = {}
        for size in PAGE_SIZES:
            print(f"Measuring pages of {size} rows ...", flush=True)
            results[size] = measure(browser, api, view_url(canonical, size, columns), size)
        print("Measuring memory ...", flush=True)
        memory = measure_memory(browser, server, view_url(canonical, max(PAGE_SIZES), columns))
    print()
    print(report(results, memory, columns, time.perf_counter() - began))
    return 0


if __name__ == "__main__":
    sys.exit(main())
