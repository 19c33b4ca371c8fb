"""The `testigo` command as a user runs it: a fresh data directory, a real SQLite file."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

TESTIGO = [sys.executable, "-m", "testigo.cli"]
OUR_COMMANDS = ["demo", "audit", "loadpack"]


def run(args: list[str], data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TESTIGO_")}
    environ.update({"TESTIGO_DATA_DIR": str(data_dir), **env})
    return subprocess.run(
        [*TESTIGO, *args], env=environ, capture_output=True, text=True, timeout=600
    )


@pytest.mark.parametrize("command", OUR_COMMANDS)
def test_every_command_has_help(command, tmp_path):
    result = run([command, "--help"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.strip()) > 80


@pytest.mark.sqlite_only
def test_demo_then_verify_then_tamper_by_hand(tmp_path):
    data = tmp_path / "data"
    demo = run(["demo", "--no-serve", "--records", "400"], data)
    assert demo.returncode == 0, demo.stderr
    assert "demo-analyst" in demo.stdout
    assert (data / "secret_key").stat().st_mode & 0o777 == 0o600

    again = run(["demo", "--no-serve", "--records", "400"], data)
    assert again.returncode == 0 and "already loaded" in again.stdout

    verify = run(["audit", "verify"], data)
    assert verify.returncode == 0, verify.stderr

    with sqlite3.connect(data / "testigo.sqlite3") as db:
        (count,) = db.execute("SELECT count(*) FROM audit_auditentry").fetchone()
        assert count > 400
        db.execute("UPDATE audit_auditentry SET actor = 'someone-else' WHERE seq = 123")
    broken = run(["audit", "verify"], data)
    assert broken.returncode == 1
    assert "entry 123" in broken.stderr
