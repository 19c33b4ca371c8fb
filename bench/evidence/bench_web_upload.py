"""Benchmark: a large file uploaded through the evidence upload page, in a real browser.

Starts the app as ``testigo serve --no-worker`` does (gunicorn, gthread workers) against a fresh
temporary data directory, logs in with Debian's ``/usr/bin/chromium`` driven by Playwright, and
uploads one file (default 2 GiB of random bytes) on ``/evidence/upload/`` through the page's own
script (XMLHttpRequest with a progress bar). While the upload runs, a sampler reads the resident
set (``VmRSS``) of every process in the server's tree every 100 ms; at the end each process's
high-water mark (``VmHWM``) is read too. The stored item must then have the file's SHA-256 and
``testigo evidence verify`` must pass.

The anchor, ``sha256sum FILE``, runs in the same script just before and just after the upload
(the file is put in the page cache first, so neither side pays for the first read).

Targets (DESIGN.md §8, issue #7): upload throughput at least 50% of ``sha256sum``'s; the server's
memory flat: what the whole server tree holds during the upload exceeds what it held, warmed up,
just before it by less than 256 MB (the ingest budget), and does not grow after the first
tenth of the upload (per-tenth peaks within 32 MB), whatever the file size. A warmed-up worker
already holds the Django app with its data libraries (about 290 MB) before any upload. The server
reads the master key from a raw key file (``TESTIGO_EVIDENCE_KEY_FILE``, the separate-media
mode); with ``--keyfile-mode`` it unlocks the key file instead, and each worker's first use of
the store then runs Argon2id, which briefly takes 256 MiB, once per process.

    .venv/bin/python bench/evidence/bench_web_upload.py [--size-mib 2048] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

MIB = 1 << 20
TARGET_RATIO = 0.5
TARGET_RSS_MB = 256
PASSWORD = "a long bench passphrase 42"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
TESTIGO = str(Path(sys.executable).with_name("testigo"))


def _generate(path: Path, size: int) -> None:
    block = 4 * MIB
    with path.open("wb") as handle:
        written = 0
        while written < size:
            data = os.urandom(min(block, size - written))
            handle.write(data)
            written += len(data)


def _sha256sum(path: Path) -> tuple[float, str]:
    started = time.perf_counter()
    out = subprocess.run(
        ["sha256sum", str(path)], check=True, capture_output=True, text=True
    ).stdout
    return time.perf_counter() - started, out.split()[0]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tree(root: int) -> list[int]:
    """``root`` and all its descendants, from ``/proc/<pid>/task/<tid>/children``."""
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{pid}/task"):
                with contextlib.suppress(OSError):
                    text = Path(f"/proc/{pid}/task/{task}/children").read_text()
                    stack.extend(int(child) for child in text.split())
    return found


def _status_kb(pid: int, field: str) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (from ``/proc/<pid>/stat``)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def _cmdline(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:80]
    return ""


class Sampler(threading.Thread):
    """Samples the server tree's resident memory every ``interval`` seconds."""

    def __init__(self, root: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.stop = threading.Event()
        self.peak_total_kb = 0
        self.peak_process_kb = 0
        self.samples: list[tuple[float, int]] = []  # (seconds since start, total kB)
        self.before_total_kb = self.before_process_kb = self.before_hwm_kb = 0
        self.cpu_before = 0.0
        self.marked = 0.0
        self.started = time.perf_counter()

    def mark(self) -> None:
        """Note the server's memory now, just before the upload starts."""
        sizes = [_status_kb(pid, "VmRSS") for pid in _tree(self.root)]
        self.before_total_kb, self.before_process_kb = sum(sizes), max(sizes)
        # High-water marks so far: the login's Argon2id password check (about 100 MiB) is here.
        self.before_hwm_kb = max(_status_kb(pid, "VmHWM") for pid in _tree(self.root))
        self.peak_total_kb = self.peak_process_kb = 0
        self.marked = time.perf_counter() - self.started
        self.samples.clear()
        self.cpu_before = _cpu_seconds(_tree(self.root))

    def tenths(self) -> list[float]:
        """The highest total RSS (MB) in each tenth of the upload's duration."""
        if not self.samples:
            return []
        end = self.samples[-1][0]
        span = max(end - self.marked, 1e-9)
        peaks = [0] * 10
        for at, kb in self.samples:
            index = min(9, int((at - self.marked) / span * 10))
            peaks[index] = max(peaks[index], kb)
        return [round(kb / 1024, 1) for kb in peaks]

    def run(self) -> None:
        while not self.stop.is_set():
            sizes = [_status_kb(pid, "VmRSS") for pid in _tree(self.root)]
            total = sum(sizes)
            self.peak_total_kb = max(self.peak_total_kb, total)
            self.peak_process_kb = max([self.peak_process_kb, *sizes])
            self.samples.append((time.perf_counter() - self.started, total))
            self.stop.wait(self.interval)


def _testigo(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([TESTIGO, *args], env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"testigo {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result.stdout


def _last_json(text: str) -> dict[str, object]:
    """The JSON document at the end of a command's output (notices may come before it)."""
    start = text.find("{")
    while start >= 0:
        with contextlib.suppress(ValueError):
            return dict(json.loads(text[start:]))
        start = text.find("{", start + 1)
    sys.exit(f"no JSON in: {text[:500]}")


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        if process.poll() is not None or time.monotonic() > deadline:
            sys.exit("the server did not start")
        time.sleep(0.1)


def _warm_workers(base: str, root: int, workers: int = 2, timeout: float = 120) -> None:
    """Send requests until every gunicorn worker has loaded the app (each loads it lazily)."""
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    def fetch(_: int) -> None:
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{base}/accounts/login/") as r:
            r.read()

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        loaded = [
            pid
            for pid in _tree(root)
            if "gunicorn" in _cmdline(pid) and _status_kb(pid, "VmRSS") > 150 * 1024
        ]
        if len(loaded) >= workers:
            return
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(fetch, range(16)))
        time.sleep(0.2)
    sys.exit("the gunicorn workers did not load the app")


CREATE_USER = f"""
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from testigo.audit.context import acting_as
with acting_as("bench"):
    user = get_user_model().objects.create_user("bench", password={PASSWORD!r})
    user.groups.add(Group.objects.get_or_create(name="documenter")[0])
"""


def _upload(
    base: str, path: Path, timeout_s: float, sampler: Sampler | None = None
) -> dict[str, object]:
    """Log in and upload ``path`` through the page; return timings and what the page showed."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"],
        )
        try:
            page = browser.new_context(locale="en-GB").new_page()
            page.set_default_timeout(30_000)
            page.goto(f"{base}/accounts/login/")
            page.get_by_label(re.compile("User name|Nombre de usuario")).fill("bench")
            page.get_by_label(re.compile("^(Password|Contraseña)$")).fill(PASSWORD)
            page.get_by_role("button", name=re.compile("Log in|Iniciar sesión")).click()
            page.wait_for_url(f"{base}/")
            page.goto(f"{base}/evidence/upload/")
            page.set_input_files("input[type=file]", str(path))
            page.evaluate(
                """() => { window.__progress = [];
                  new MutationObserver(() => {
                    const bar = document.querySelector('#upload-progress progress');
                    if (bar) window.__progress.push(bar.value);
                  }).observe(document.getElementById('upload-progress'),
                             {subtree: true, childList: true, attributes: true}); }"""
            )
            if sampler is not None:
                sampler.mark()  # everything before this is the server warmed up, at rest
            started = time.perf_counter()
            page.get_by_role("button", name=re.compile("^(Upload|Subir)$")).click()
            # Poll the progress bar too: attribute changes on <progress> are not always observed.
            seen: list[float] = []
            link = page.locator("#upload-progress a")
            deadline = time.monotonic() + timeout_s
            while link.count() == 0:
                if time.monotonic() > deadline:
                    sys.exit("the upload did not finish in time")
                value = page.evaluate(
                    "() => { const b = document.querySelector('#upload-progress progress');"
                    " return b ? b.value : null; }"
                )
                if value is not None:
                    seen.append(float(value))
                failed = page.locator("#upload-progress li.errorlist")
                if failed.count():
                    sys.exit(f"the upload failed: {failed.inner_text()}")
                time.sleep(0.5)
            elapsed = time.perf_counter() - started
            return {
                "upload_seconds": elapsed,
                "item": link.first.inner_text(),
                "progress_values_seen": len(set(seen)),
                "progress_max": max(seen, default=None),
            }
        finally:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=2048)
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temporary dir")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--keyfile-mode",
        action="store_true",
        help="unlock the key file with its passphrase (Argon2id, 256 MiB, once per worker) "
        "instead of reading a raw key file",
    )
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing (apt-get install chromium)")
    size = args.size_mib * MIB

    work = Path(tempfile.mkdtemp(prefix="testigo-webbench-", dir=args.workdir))
    server: subprocess.Popen[bytes] | None = None
    try:
        data_dir = work / "data"
        data_dir.mkdir()
        env = dict(os.environ)
        for name in list(env):
            if name.startswith("TESTIGO_"):
                del env[name]
        env |= {
            "TESTIGO_DATA_DIR": str(data_dir),
            "TESTIGO_DATABASE_URL": f"sqlite:///{data_dir / 'testigo.sqlite3'}",
            "XDG_CONFIG_HOME": str(work / "config"),
        }
        big = work / "upload.bin"
        _generate(big, size)
        subprocess.run(["cat", str(big)], stdout=subprocess.DEVNULL, check=True)
        _testigo(env, "migrate", "--no-input")
        _testigo(env, "evidence", "keys", "init")
        if not args.keyfile_mode:
            # Raw-key mode (the key on separate media): no Argon2id unlock in the workers.
            recovery = work / "keys" / "recovery.key"
            recovery.parent.mkdir()
            _testigo(env, "evidence", "keys", "export-recovery", "--output", str(recovery))
            env["TESTIGO_EVIDENCE_KEY_FILE"] = str(recovery)
        _testigo(env, "shell", "-c", CREATE_USER)

        anchor_before, expected = _sha256sum(big)
        port = _free_port()
        server = subprocess.Popen(
            [TESTIGO, "serve", "--port", str(port), "--no-worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        _wait_for_port(port, server)
        _warm_workers(f"http://127.0.0.1:{port}", server.pid)
        idle_kb = sum(_status_kb(pid, "VmRSS") for pid in _tree(server.pid))
        sampler = Sampler(server.pid)
        sampler.start()
        uploaded = _upload(
            f"http://127.0.0.1:{port}", big, timeout_s=max(600, size / MIB), sampler=sampler
        )
        sampler.stop.set()
        sampler.join()
        server_cpu = _cpu_seconds(_tree(server.pid)) - sampler.cpu_before
        processes = {pid: (_status_kb(pid, "VmHWM"), _cmdline(pid)) for pid in _tree(server.pid)}
        anchor_after, _ = _sha256sum(big)

        server.terminate()
        server.wait(timeout=30)
        server = None
        listing = _last_json(_testigo(env, "evidence", "verify", "--json"))
        item = _last_json(
            _testigo(
                env,
                "shell",
                "-c",
                "import json; from testigo.evidence.models import EvidenceItem as E; "
                "i = E.objects.get(); print(json.dumps({'sha256': i.sha256, 'size': i.size}))",
            )
        )
        anchor = min(anchor_before, anchor_after)
        result = {
            "size_bytes": size,
            "upload_seconds": round(uploaded["upload_seconds"], 2),
            "upload_mb_s": round(size / 1e6 / uploaded["upload_seconds"], 1),
            "sha256sum_seconds": [round(anchor_before, 2), round(anchor_after, 2)],
            "sha256sum_mb_s": round(size / 1e6 / anchor, 1),
            "ratio": round(anchor / uploaded["upload_seconds"], 3),
            # CPU the server spent on the upload: near the wall time means the server, not the
            # browser, sets the pace (one request is one Python thread).
            "server_cpu_seconds": round(server_cpu, 2),
            "server_idle_rss_mb": round(idle_kb / 1024, 1),
            "server_tree_rss_before_upload_mb": round(sampler.before_total_kb / 1024, 1),
            "server_tree_peak_rss_during_upload_mb": round(sampler.peak_total_kb / 1024, 1),
            "server_tree_growth_mb": round(
                (sampler.peak_total_kb - sampler.before_total_kb) / 1024, 1
            ),
            "server_process_rss_before_upload_mb": round(sampler.before_process_kb / 1024, 1),
            "server_process_peak_rss_during_upload_mb": round(sampler.peak_process_kb / 1024, 1),
            "server_process_hwm_before_upload_mb": round(sampler.before_hwm_kb / 1024, 1),
            "server_process_hwm_mb": {
                f"{pid} {cmd}": round(kb / 1024, 1) for pid, (kb, cmd) in processes.items()
            },
            "rss_samples": len(sampler.samples),
            # The first tenth holds the one-time unlock of the master key (Argon2id, 256 MiB)
            # by the worker's first use of the store; flat means no growth after it.
            "server_tree_peak_rss_per_tenth_mb": sampler.tenths(),
            "item": uploaded["item"],
            "progress_values_seen": uploaded["progress_values_seen"],
            "progress_max": uploaded["progress_max"],
            "sha256_matches": item["sha256"] == expected and item["size"] == size,
            "verify": listing,
            "loadavg": os.getloadavg(),
        }
        tenths = result["server_tree_peak_rss_per_tenth_mb"]
        result["flat"] = bool(tenths) and max(tenths[2:]) - min(x for x in tenths[1:] if x) < 32
        result["targets_met"] = (
            result["ratio"] >= TARGET_RATIO
            and result["server_tree_growth_mb"] < TARGET_RSS_MB
            and result["flat"]
            and result["sha256_matches"]
            and bool(listing.get("ok"))
        )
        if args.json:
            print(json.dumps(result, indent=2))
        else:
            print(f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout}")
            for key, value in result.items():
                print(f"{key}: {value}")
        sys.exit(0 if result["targets_met"] else 1)
    finally:
        if server is not None and server.poll() is None:
            server.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
