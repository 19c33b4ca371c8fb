"""File mode: `testigo link --input records.csv --output clusters.csv [--json]` (DESIGN.md §6).

`link_csv` reads a UTF-8 CSV of person records, checks it, links it and writes
``record_id,person_id``. Nothing is written when the input is bad: the output file appears
only once linkage has succeeded (it is written beside the target and renamed into place).
"""

from __future__ import annotations

import csv
import os
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

from testigo.domain.national_ids import VENEZUELA, NationalIdFormat
from testigo.domain.places import Gazetteer

from .engine import LinkResult, LinkSettings, link_records
from .schema import InputProblem, LinkInputError

__all__ = ["LinkReport", "link_csv", "read_records_csv"]

# Share of the progress bar given to each stage (training dominates small runs, blocking and
# prediction large ones).
_STAGE_WEIGHTS = {"prepare": 10, "block": 20, "train": 25, "predict": 35, "cluster": 10}


@dataclass(frozen=True)
class LinkReport:
    """What `link_csv` did; ``to_json_dict`` is what ``testigo link --json`` prints."""

    input: str
    output: str
    records: int
    persons: int
    pairs_scored: int
    pairs_merged: int
    pairs_to_review: int
    match_threshold: float
    review_threshold: float
    backend: str
    seconds: dict[str, float]
    problems: tuple[InputProblem, ...] = ()
    problem_count: int = 0
    review_output: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "output": self.output,
            "records": self.records,
            "persons": self.persons,
            "pairs_scored": self.pairs_scored,
            "pairs_merged": self.pairs_merged,
            "pairs_to_review": self.pairs_to_review,
            "match_threshold": self.match_threshold,
            "review_threshold": self.review_threshold,
            "backend": self.backend,
            "seconds": self.seconds,
            "problem_count": self.problem_count,
            "problems": [p.to_json_dict() for p in self.problems],
            "review_output": self.review_output,
        }

    def summary(self) -> str:
        """One human line, e.g. for the command's normal output."""
        text = (
            f"{self.records:,} records -> {self.persons:,} persons; "
            f"{self.pairs_to_review:,} pairs to review; written to {self.output}"
        )
        if self.problem_count:
            text += f" ({self.problem_count:,} unreadable values ignored)"
        return text


def read_records_csv(path: str | Path) -> pd.DataFrame:
    """Read a §6 CSV as text columns (blank cells as empty strings).

    Raises:
        LinkInputError: the file is missing, not UTF-8, empty, malformed or has a repeated
            column name.
    """
    origin = str(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), None)
    except FileNotFoundError:
        raise LinkInputError("file not found", origin=origin) from None
    except UnicodeDecodeError as exc:
        raise LinkInputError(
            f"not UTF-8 text (byte {exc.start} of the header); save the file as UTF-8 CSV",
            origin=origin,
        ) from None
    except (OSError, csv.Error) as exc:
        raise LinkInputError(f"cannot be read ({exc})", origin=origin) from None
    if not header or not any(cell.strip() for cell in header):
        raise LinkInputError("the file is empty (no header row)", origin=origin)
    names = [cell.strip() for cell in header]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise LinkInputError(
            f"column name(s) used twice in the header: {', '.join(map(repr, repeated))}",
            origin=origin,
        )
    try:
        frame = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            encoding="utf-8-sig",
            on_bad_lines="error",
        )
    except UnicodeDecodeError as exc:
        raise LinkInputError(
            f"not UTF-8 text (byte {exc.start}); save the file as UTF-8 CSV", origin=origin
        ) from None
    except pd.errors.ParserError as exc:
        raise LinkInputError(f"malformed CSV: {_parser_message(exc)}", origin=origin) from None
    frame.columns = names
    return frame


def _parser_message(exc: Exception) -> str:
    text = str(exc).strip()
    # pandas: "Error tokenizing data. C error: Expected 10 fields in line 7, saw 11"
    return text.split("C error: ", 1)[-1]


class _Progress:
    def __init__(self, enabled: bool, stream: TextIO) -> None:
        self.bar: Any = None
        self.done = 0.0
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(
                total=100, file=stream, unit="%", desc="linking", leave=False,
                bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}",
            )  # fmt: skip
        self.offsets: dict[str, float] = {}
        offset = 0.0
        for stage, weight in _STAGE_WEIGHTS.items():
            self.offsets[stage] = offset
            offset += weight

    def __call__(self, stage: str, fraction: float) -> None:
        if self.bar is None:
            return
        target = self.offsets.get(stage, self.done) + _STAGE_WEIGHTS.get(stage, 0) * fraction
        if target > self.done:
            self.bar.set_description(f"linking: {stage}")
            self.bar.update(target - self.done)
            self.done = target

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _write_atomic(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            frame.to_csv(handle, index=False, lineterminator="\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def link_csv(
    input_path: str | Path,
    output_path: str | Path,
    *,
    progress: bool = True,
    json: bool = False,
    settings: LinkSettings | None = None,
    gazetteer: Gazetteer | None = None,
    id_format: NationalIdFormat = VENEZUELA,
    labels: pd.DataFrame | None = None,
    model: Mapping[str, Any] | None = None,
    review_output: str | Path | None = None,
    stream: TextIO | None = None,
) -> LinkReport:
    """Deduplicate the person records of a §6 CSV and write ``record_id,person_id``.

    Args:
        input_path: the records (UTF-8 CSV with header; see DESIGN.md §6).
        output_path: where to write ``record_id,person_id`` (one row per input record, in
            input order).
        progress: show a progress bar on ``stream`` (standard error by default).
        json: machine mode for ``--json``: no progress bar, so that the caller can print
            ``report.to_json_dict()`` alone.
        settings, gazetteer, id_format, labels, model: passed to `link_records`.
        review_output: if given, also write the review queue there as CSV.

    Raises:
        LinkInputError: unreadable file, missing required column, blank or duplicate
            ``record_id`` (the message names the file, row and column). Nothing is written.
    """
    source = Path(input_path)
    target = Path(output_path)
    settings = settings or LinkSettings()
    records = read_records_csv(source)
    bar = _Progress(progress and not json, stream or sys.stderr)
    try:
        result: LinkResult = link_records(
            records,
            settings=settings,
            labels=labels,
            gazetteer=gazetteer,
            id_format=id_format,
            model=model,
            progress=bar,
            origin=str(source),
        )
    finally:
        bar.close()
    _write_atomic(result.clusters, target)
    if review_output is not None:
        _write_atomic(result.review, Path(review_output))
    stats = result.stats
    return LinkReport(
        input=str(source),
        output=str(target),
        records=stats["records"],
        persons=stats["persons"],
        pairs_scored=stats["pairs_scored"],
        pairs_merged=stats["pairs_merged"],
        pairs_to_review=stats["pairs_to_review"],
        match_threshold=result.settings.match_threshold,
        review_threshold=result.settings.review_threshold,
        backend=result.settings.backend,
        seconds=stats["seconds"],
        problems=tuple(result.problems),
        problem_count=result.problem_count,
        review_output=str(review_output) if review_output is not None else None,
    )
