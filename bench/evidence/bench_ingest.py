"""Benchmark: ingesting one large file into the evidence store (hash + encrypt + store).

Generates a file (default 2 GiB of random bytes) in a temporary directory, then alternates, for
``--rounds`` rounds, the anchor ``sha256sum FILE`` and an ingest of the same file into a fresh
local store, each in its own process. The ingest computes SHA-256 and SHA-512, encrypts in
1 MiB AES-256-GCM chunks, writes to a temporary file, fsyncs and publishes it; its peak memory
is the ingesting process's high-water resident set (``VmHWM``), cross-checked with the
``ru_maxrss`` that ``wait4`` reports (which also counts the parent's image before ``exec``).
A first ``cat FILE > /dev/null`` puts the file in the page cache so that neither side pays for
the first read. CPU time per GB (user + system, from ``wait4``) is printed too: on a shared
machine it varies far less than wall time.

Targets (DESIGN.md §8): throughput at least 50% of ``sha256sum``'s, peak memory under 256 MB.

    .venv/bin/python bench/evidence/bench_ingest.py [--size-mib 2048] [--rounds 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MIB = 1 << 20
TARGET_RATIO = 0.5
TARGET_RSS_MB = 256


def _generate(path: Path, size: int) -> None:
    # Small blocks keep this process small: a child started with vfork inherits its peak RSS.
    block = 4 * MIB
    with path.open("wb") as handle:
        written = 0
        while written < size:
            data = os.urandom(min(block, size - written))
            handle.write(data)
            written += len(data)


def _run(command: list[str]) -> tuple[float, float, float, str]:
    """Run ``command``; return (wall seconds, CPU seconds, max RSS in MB, stdout)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    stdout = process.stdout.read().decode() if process.stdout else ""
    stderr = process.stderr.read().decode() if process.stderr else ""
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.exit(f"{command[0]} failed ({process.returncode}): {stderr}")
    cpu = usage.ru_utime + usage.ru_stime
    return elapsed, cpu, usage.ru_maxrss / 1024, stdout  # ru_maxrss is in KiB on Linux


def _worker(file: Path, store_dir: Path, verify: bool) -> None:
    """Ingest ``file`` into a new store at ``store_dir``; print timings as JSON."""
    from testigo.blobstore import BlobStore, MasterKey
    from testigo.blobstore.backends.local import LocalBackend

    store = BlobStore.initialise(LocalBackend(store_dir), MasterKey.generate())
    started = time.perf_counter()
    with file.open("rb", buffering=0) as source:
        item = store.put(source)
    ingest = time.perf_counter() - started
    result = {"ingest_seconds": ingest, "sha256": item.sha256, "size": item.size}
    if verify:
        started = time.perf_counter()
        report = store.verify()
        result["verify_seconds"] = time.perf_counter() - started
        result["verify_ok"] = report.ok
    result["vm_hwm_mb"] = _vm_hwm_mb()
    print(json.dumps(result))


def _vm_hwm_mb() -> float:
    """This process's peak resident set since it started (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=2048, help="file size (default 2048)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None, help="where to put the temporary files")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--worker", nargs=2, metavar=("FILE", "STORE"), help=argparse.SUPPRESS)
    parser.add_argument("--verify", action="store_true", help="also time a full verify")
    args = parser.parse_args()
    if args.worker:
        _worker(Path(args.worker[0]), Path(args.worker[1]), args.verify)
        return

    sha256sum = shutil.which("sha256sum")
    if sha256sum is None:
        sys.exit("sha256sum is not installed")
    work = Path(tempfile.mkdtemp(prefix="testigo-bench-evidence-", dir=args.dir))
    try:
        size = args.size_mib * MIB
        file = work / "input.bin"
        _generate(file, size)
        subprocess.run(["cat", str(file)], stdout=subprocess.DEVNULL, check=True)
        anchor, ingest, hwm, rss, verify = [], [], [], [], []
        anchor_cpu, ingest_cpu = [], []
        expected = None
        for round_number in range(args.rounds):
            seconds, cpu, _, stdout = _run([sha256sum, str(file)])
            anchor.append(seconds)
            anchor_cpu.append(cpu)
            expected = stdout.split()[0]
            store_dir = work / f"store-{round_number}"
            command = [sys.executable, __file__, "--worker", str(file), str(store_dir)]
            if args.verify:
                command.append("--verify")
            _, cpu, peak, stdout = _run(command)
            ingest_cpu.append(cpu)
            figures = json.loads(stdout)
            if figures["sha256"] != expected:
                sys.exit("the ingest computed a different SHA-256 than sha256sum")
            ingest.append(figures["ingest_seconds"])
            rss.append(peak)
            hwm.append(figures["vm_hwm_mb"])
            if args.verify:
                verify.append(figures["verify_seconds"])
            shutil.rmtree(store_dir)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    mb = size / 1e6
    best_anchor, best_ingest = min(anchor), min(ingest)
    result = {
        "file_mib": args.size_mib,
        "rounds": args.rounds,
        "sha256sum_mb_s": round(mb / best_anchor, 1),
        "ingest_mb_s": round(mb / best_ingest, 1),
        "ratio_best": round(best_anchor / best_ingest, 3),
        "ratio_median": round(statistics.median(anchor) / statistics.median(ingest), 3),
        "sha256sum_seconds": [round(s, 2) for s in anchor],
        "ingest_seconds": [round(s, 2) for s in ingest],
        "sha256sum_cpu_s_per_gb": round(statistics.median(anchor_cpu) / (size / 1e9), 2),
        "ingest_cpu_s_per_gb": round(statistics.median(ingest_cpu) / (size / 1e9), 2),
        "peak_rss_mb": round(max(hwm), 1),
        "wait4_maxrss_mb": round(max(rss), 1),
        "target_ratio": TARGET_RATIO,
        "target_rss_mb": TARGET_RSS_MB,
    }
    if verify:
        result["verify_mb_s"] = round(mb / min(verify), 1)
    result["meets_targets"] = (
        result["ratio_median"] >= TARGET_RATIO and result["peak_rss_mb"] < TARGET_RSS_MB
    )
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"file: {args.size_mib} MiB of random bytes, {args.rounds} alternating rounds")
    print(f"sha256sum      {result['sha256sum_mb_s']:8.1f} MB/s  (runs: {anchor_text(anchor)})")
    print(f"ingest         {result['ingest_mb_s']:8.1f} MB/s  (runs: {anchor_text(ingest)})")
    if verify:
        print(f"verify         {result['verify_mb_s']:8.1f} MB/s  (decrypt + SHA-256 + SHA-512)")
    print(
        f"ratio          {result['ratio_median']:8.3f} median, {result['ratio_best']:.3f} best"
        f"  (target >= {TARGET_RATIO})"
    )
    print(
        f"CPU per GB     {result['sha256sum_cpu_s_per_gb']:8.2f} s sha256sum, "
        f"{result['ingest_cpu_s_per_gb']:.2f} s ingest (user + system, all threads)"
    )
    print(
        f"peak RSS       {result['peak_rss_mb']:8.1f} MB     (target < {TARGET_RSS_MB} MB; "
        f"wait4 ru_maxrss {result['wait4_maxrss_mb']:.1f} MB)"
    )
    print("targets met" if result["meets_targets"] else "TARGETS NOT MET")


def anchor_text(seconds: list[float]) -> str:
    return ", ".join(f"{s:.2f} s" for s in seconds)


if __name__ == "__main__":
    main()
