"""Imports: a source's file becomes records, with provenance, all or nothing.

`import_file` is the one way in, for the command and for the web wizard's background task:

1. The file is read once, streaming, through the source's mapping (`testigo.tabular`); each row
   is mapped and normalised, on worker processes for large files (`testigo.imports.rowwork`).
2. Every problem is gathered with file, row, column, value and reason. A row's key is the
   mapping's key column (a KoboToolbox export's ``_uuid``), else its row number; a key that
   repeats is an error.
3. Rows are written as they come, inside one transaction (`testigo.imports.bulk`): a new key
   becomes a record; a key imported before becomes a new version (``version`` + 1,
   ``supersedes`` the old one) if its raw row changed, and nothing if it did not. Each record
   gets its "create" audit entry.
4. If any error was found, or the file could not be read to its end, the transaction is rolled
   back: nothing is written, whatever was found. A dry run never opens a transaction.

The first version of this validated the whole file and then read it again to write it; one
pass halves the work on a million rows, and the rollback gives the same all-or-nothing result.

The web wizard's batches (`ImportBatch`) walk through: uploaded → checking → checked or invalid
→ queued → importing → done (or failed); checks and imports run as background tasks.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import multiprocessing
import os
import queue
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from testigo.audit.context import acting_as, current_actor, user_label
from testigo.audit.services import audit_record, object_type_of
from testigo.core.models import (
    DetentionFacility,
    PerpetratorBody,
    Place,
    Record,
    Source,
    VocabularyTerm,
)
from testigo.core.selectors import reported_context
from testigo.core.services import vocabularies_load
from testigo.countrypacks.models import LoadedPack
from testigo.countrypacks.packfile import pack_read
from testigo.countrypacks.services import pack_load
from testigo.domain.reported import ReportedContext
from testigo.imports import storage
from testigo.imports.bulk import RecordWriter, latest_versions, record_layout
from testigo.imports.mapfile import SourceMapping
from testigo.imports.models import ImportBatch, ImportMapping
from testigo.imports.rowwork import (
    ChunkResult,
    Lookups,
    MapperState,
    PreparedRow,
    PrepareSettings,
    RowPreparer,
    chunk_from_wire,
    merge_state,
    rows_to_wire,
    worker_main,
)
from testigo.tabular import (
    DEFAULT_MAX_ROWS,
    Mapping,
    MappingError,
    Problem,
    Progress,
    Row,
    RowMapper,
    TabularError,
    ValidationReport,
    auto_mapping,
    context_from_pack,
    open_table,
)
from testigo.tabular.problems import ProblemLog

#: Rows handed to a worker at a time, and written at a time.
CHUNK_ROWS = 1000
#: Files at least this large are normalised on worker processes (when there are two cores).
PARALLEL_FROM_BYTES = 4 << 20
#: Problems, unresolved places and unmatched values a batch keeps in its stored report.
STORED_PROBLEMS = 10_000
STORED_DECISIONS = 500

Actor = Any  # a user, an audit label ("system:import"), or None for the current actor


# ---------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class ImportProgress:
    """How far an import has got: `fraction` of the file read (None if unknown), rows so far."""

    phase: str  # "reading" (and writing as it goes) or "finishing"
    fraction: float | None
    rows: int


@dataclass
class ImportReport:
    """What an import found and did. `validation` is the engine's report of the file (every
    problem, what was mapped, what needs a person); the counts say what was (or, in a dry run,
    would be) written."""

    validation: ValidationReport
    source: str
    dry_run: bool
    written: bool = False
    created: int = 0
    new_versions: int = 0
    unchanged: int = 0
    key_column: str | None = None
    mapping_origin: str = "automatic"  # "given", "saved" or "automatic"
    batch_id: int | None = None
    seconds: float = 0.0
    workers: int = 0

    @property
    def valid(self) -> bool:
        return self.validation.valid

    @property
    def problems(self) -> list[Problem]:
        return self.validation.problems

    @property
    def invalid(self) -> int:
        """Rows with at least one error."""
        return self.validation.records_with_errors

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the engine's report plus the source, the counts and the outcome."""
        data = self.validation.to_dict()
        data.update(
            source=self.source,
            dry_run=self.dry_run,
            written=self.written,
            created=self.created,
            new_versions=self.new_versions,
            unchanged=self.unchanged,
            invalid=self.invalid,
            key_column=self.key_column,
            mapping_origin=self.mapping_origin,
            batch=self.batch_id,
            seconds=round(self.seconds, 3),
            workers=self.workers,
        )
        return data


# ---------------------------------------------------------------------------- helpers


def _actor_label(actor: Actor) -> str:
    if actor is None:
        return current_actor()
    if isinstance(actor, str):
        return actor
    return user_label(actor)


def _user(actor: Actor) -> Any:
    return actor if getattr(actor, "pk", None) is not None else None


def clean_file_name(name: str) -> str:
    """The last part of a path as a person sees it: no folders, no control characters."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[:255] or "upload"


def _file_name(source: str | os.PathLike[str] | BinaryIO, name: str | None) -> str:
    if name:
        return clean_file_name(name)
    if isinstance(source, str | os.PathLike):
        return clean_file_name(Path(source).name)
    return clean_file_name(str(getattr(source, "name", "") or "upload"))


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _workers_for(size: int | None, workers: int | None) -> int:
    if workers is not None:
        return max(0, workers)
    if _cpus() < 2 or size is None or size < PARALLEL_FROM_BYTES:
        return 0
    return min(_cpus(), 4)


def _size_of(source: str | os.PathLike[str] | BinaryIO) -> int | None:
    try:
        if isinstance(source, str | os.PathLike):
            return Path(source).stat().st_size
        here = source.tell()
        end = source.seek(0, os.SEEK_END)
        source.seek(here)
        return end - here
    except (OSError, AttributeError, ValueError):
        return None


def pack_code() -> str:
    return str(getattr(settings, "TESTIGO_COUNTRY_PACK", "ve"))


def reference_data_ensure(code: str | None = None) -> None:
    """Load the vocabularies and the country pack if they are not in the database yet (a fresh
    installation's first import), so that places and act types can be linked."""
    code = code or pack_code()
    if not VocabularyTerm.objects.exists():
        vocabularies_load()
    if not LoadedPack.objects.filter(code=pack_read(code).code).exists():
        pack_load(code)


def normalisation_context(code: str | None = None) -> ReportedContext:
    """The database's vocabularies with the pack's gazetteer; the pack's files alone when the
    database has no vocabularies yet (a dry run on a fresh installation)."""
    code = code or pack_code()
    if VocabularyTerm.objects.exists():
        return reported_context(pack_read(code))
    return context_from_pack(code)


def _lookups() -> Lookups:
    def terms(vocabulary: str) -> dict[str, int]:
        return dict(VocabularyTerm.objects.filter(vocabulary=vocabulary).values_list("code", "id"))

    return Lookups(
        places=dict(Place.objects.values_list("code", "id")),
        act_types=terms(VocabularyTerm.Vocabulary.ACT_TYPE),
        affiliations=terms(VocabularyTerm.Vocabulary.AFFILIATION),
        bodies=dict(PerpetratorBody.objects.values_list("code", "id")),
        facilities=dict(DetentionFacility.objects.values_list("code", "id")),
    )


def mapping_for_source(source: Source | None) -> SourceMapping | None:
    """The mapping saved for a source, if any."""
    if source is None:
        return None
    saved = ImportMapping.objects.filter(source=source).first()
    if saved is None:
        return None
    return SourceMapping.from_dict(saved.mapping, where=f"saved mapping of {source.name!r}")


def mapping_save(*, actor: Actor, source: Source, mapping: SourceMapping) -> ImportMapping:
    """Keep `mapping` as the source's mapping (replacing the one saved before)."""
    data = mapping.to_dict()
    data.pop("source", None)
    label = _actor_label(actor)
    with acting_as(label), transaction.atomic():
        saved = ImportMapping.all_objects.filter(source=source).first()
        if saved is None:
            return ImportMapping.objects.create(source=source, mapping=data, saved_by=label)
        saved.mapping, saved.saved_by, saved.deleted_at = data, label, None
        saved.save()
        return saved


def _as_source_mapping(mapping: SourceMapping | Mapping | dict[str, Any] | None) -> Any:
    if mapping is None or isinstance(mapping, SourceMapping):
        return mapping
    if isinstance(mapping, Mapping):
        return SourceMapping(mapping)
    return SourceMapping.from_dict(mapping)


class SourceDeletedError(TabularError):
    """The source named was deleted: restore it first, or import under another name."""

    code = "source_deleted"

    def __init__(self, name: str) -> None:
        super().__init__(
            f"the source {name!r} was deleted; restore it, or import under another name"
        )


class _Invalid(Exception):
    """Raised inside the import's transaction to roll it back."""


class WorkerFailed(RuntimeError):
    """A worker process stopped with an error (a bug, not bad input): the import is aborted."""


# ---------------------------------------------------------------------------- the import


def import_file(
    *,
    actor: Actor,
    path_or_file: str | os.PathLike[str] | BinaryIO,
    source_name: str,
    mapping: SourceMapping | Mapping | dict[str, Any] | None = None,
    dry_run: bool = False,
    progress: Callable[[ImportProgress], None] | None = None,
    save_mapping: bool = False,
    use_saved_mapping: bool = True,
    row_limit: int = DEFAULT_MAX_ROWS,
    workers: int | None = None,
    file_name: str | None = None,
    today: date | None = None,
    batch: ImportBatch | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> ImportReport:
    """Import one file as records of the source `source_name` (created if new), all or nothing.

    Args:
        actor: who imports (a user, or an audit label such as "system:import").
        path_or_file: a path, or a seekable binary file.
        mapping: how to read the file; None: the source's saved mapping if it has one (and
            `use_saved_mapping`), else the automatic one (recognised headers placed, the other
            columns kept in the raw rows and listed in the report).
        dry_run: only read and report; nothing is written, not even the file.
        progress: called as the file is read.
        save_mapping: keep the mapping used as the source's mapping (only if the import writes).
        row_limit: stop with a clear problem after this many data rows.
        workers: processes that normalise rows (default: two or more for files of 4 MiB and
            up, when the machine has the cores; 0: none, all in this process).
        batch: the web wizard's batch (its file is already kept).

    The returned report's `valid` is False when anything stopped the import: then nothing was
    written. Bad input never raises; a missing file or a database failure does.
    """
    started = time.perf_counter()
    label = _actor_label(actor)
    name = _file_name(path_or_file, file_name if batch is None else batch.file_name)
    source = Source.objects.filter(name=source_name).first()
    report = ImportReport(ValidationReport(file=name), source=source_name, dry_run=dry_run)
    if source is None and Source.all_objects.filter(name=source_name).exists():
        return _fatal_report(report, SourceDeletedError(source_name), started)
    try:
        keyed = _as_source_mapping(mapping)
    except MappingError as exc:
        return _fatal_report(report, exc, started)
    report.mapping_origin = "given"
    if keyed is None:
        try:
            keyed = mapping_for_source(source) if use_saved_mapping else None
        except MappingError as exc:
            return _fatal_report(report, exc, started)
        report.mapping_origin = "automatic" if keyed is None else "saved"

    kept: storage.KeptFile | None = None
    read_from: str | os.PathLike[str] | BinaryIO = path_or_file
    if batch is not None:
        read_from = storage.kept_path(batch.sha256)
    elif not dry_run:
        kept = storage.file_keep(path_or_file)  # provenance: the file itself is kept
        read_from = kept.path
    run = _Run(
        report=report,
        label=label,
        name=name,
        source=source,
        source_name=source_name,
        keyed=keyed,
        read_from=read_from,
        expected_sha256=kept.sha256 if kept else (batch.sha256 if batch else None),
        size=kept.size if kept else _size_of(read_from),
        progress=progress,
        row_limit=row_limit,
        workers=workers,
        today=today,
        chunk_rows=chunk_rows,
    )
    try:
        with acting_as(label):
            if dry_run:
                run.execute(write=False)
            else:
                try:
                    with transaction.atomic():
                        run.execute(write=True)
                        if not report.valid:
                            raise _Invalid
                        _finish(run, batch=batch, save_mapping=save_mapping, kept=kept)
                except _Invalid:
                    report.written = False
    finally:
        unused = kept is not None and kept.new and not report.written
        if unused and not ImportBatch.all_objects.filter(sha256=kept.sha256).exists():
            storage.file_discard(kept.sha256)
    report.seconds = time.perf_counter() - started
    return report


def _fatal_report(report: ImportReport, exc: TabularError, started: float) -> ImportReport:
    validation = report.validation
    validation.fatal = Problem(validation.file, None, None, "", str(exc), exc.code)
    validation.errors += 1
    report.seconds = time.perf_counter() - started
    return report


@dataclass
class _Run:
    """One pass over a file: read, map (here or on workers), check, write as it goes."""

    report: ImportReport
    label: str
    name: str
    source: Source | None
    source_name: str
    keyed: SourceMapping | None
    read_from: str | os.PathLike[str] | BinaryIO
    expected_sha256: str | None
    size: int | None
    progress: Callable[[ImportProgress], None] | None
    row_limit: int
    workers: int | None
    today: date | None
    chunk_rows: int
    used: SourceMapping | None = None  # the mapping read with (the automatic one if none given)
    key_header: str | None = None
    log: ProblemLog = field(default_factory=lambda: ProblemLog(STORED_PROBLEMS))
    stopped: TabularError | None = None
    keys_seen: dict[str, int] = field(default_factory=dict)
    writer: RecordWriter | None = None
    had_records: bool = False

    def fatal(self, exc: TabularError) -> None:
        validation = self.report.validation
        if validation.fatal is None:
            validation.fatal = Problem(validation.file, None, None, "", str(exc), exc.code)

    def execute(self, *, write: bool) -> None:
        report, validation = self.report, self.report.validation
        if write:
            reference_data_ensure()
        context = normalisation_context()
        options = self.keyed.mapping.reader_options() if self.keyed else {}
        try:
            table = open_table(
                self.read_from,
                name=self.name,
                max_rows=self.row_limit,
                progress_every=max(1, self.chunk_rows),
                **options,
            )
        except TabularError as exc:
            self.fatal(exc)
            self._close_log()
            return
        with table:
            validation.file = table.name
            validation.format, validation.sheet, validation.kobo = (
                table.format,
                table.sheet,
                table.kobo,
            )
            validation.delimiter = table.delimiter
            records_sheet = self.keyed.mapping.records_sheet if self.keyed else None
            try:
                headers = table.record_headers(records_sheet)
                keyed = self.keyed or SourceMapping(auto_mapping(headers))
                self.used = keyed
                self.key_header = keyed.key_header(headers, kobo=table.kobo)
                mapper = RowMapper(
                    keyed.mapping,
                    context,
                    headers=headers,
                    file=table.name,
                    select_multiple=table.select_multiple,
                    today=self.today,
                )
            except TabularError as exc:
                self.fatal(exc)
                self._close_log()
                return
            report.key_column = self.key_header
            validation.headers = headers
            validation.mapped = {header: rule.field for header, rule in mapper.rules}
            validation.unmapped = list(mapper.unmapped)
            validation.mapping_used = keyed.to_dict()
            if self.progress is not None:
                callback = self.progress

                def on_progress(p: Progress) -> None:
                    callback(ImportProgress("reading", p.fraction, p.rows_read))

                table.on_progress = on_progress

            layout = None
            if write:
                source = self.source
                if source is None:
                    source = Source.objects.create(
                        name=self.source_name,
                        kind=Source.Kind.NGO_LIST,
                        description=f"Created by the import of {table.name}.",
                    )
                    self.source = source
                now = timezone.now()
                assert self.expected_sha256 is not None
                layout = record_layout(
                    using="default", now=now, source_id=source.pk, sha256=self.expected_sha256
                )
            self.had_records = (
                self.source is not None and Record.all_objects.filter(source=self.source).exists()
            )
            prepare = PrepareSettings(
                mapping=keyed.mapping.to_dict(),
                context=context,
                headers=tuple(headers),
                file=table.name,
                select_multiple=frozenset(table.select_multiple),
                today=self.today,
                key_column=self.key_header,
                layout=layout,
                lookups=_lookups() if write else Lookups(),
            )
            if layout is not None:
                self.writer = RecordWriter(layout=layout, actor=self.label)
            workers = _workers_for(self.size, self.workers)
            report.workers = workers
            seen: set[str] = set()
            chunks = self._chunks(table, records_sheet, prepare, mapper, workers)
            with contextlib.closing(chunks):
                for chunk in chunks:
                    seen |= chunk.unmapped_seen
                    self._take(chunk.rows, table)
            if self.writer is not None:
                self.writer.finish()
            if self.stopped is not None:
                self.fatal(self.stopped)
            validation.rows_read = table.rows_read
            validation.blank_rows = table.blank_rows
            validation.encoding = table.encoding
            validation.unmapped_with_data = [h for h in mapper.unmapped if h in seen]
            for problem in [*table.problems.items, *mapper.column_problems()]:
                self.log.add(problem)
            if validation.fatal is None:
                validation.sha256 = table.sha256
                if self.expected_sha256 and validation.sha256 != self.expected_sha256:
                    self.fatal(TabularError(f"{table.name}: the file changed while it was read"))
                if validation.records == 0:
                    self.log.add(
                        Problem(
                            table.name,
                            None,
                            None,
                            "",
                            "the file has a header but no data rows",
                            "no_rows",
                        )
                    )
            validation.unresolved_places = mapper.unresolved_places()
            validation.unmatched_values = mapper.unmatched_values()
        if self.progress is not None:
            self.progress(ImportProgress("finishing", 1.0, validation.rows_read))
        self._close_log()

    def _close_log(self) -> None:
        validation = self.report.validation
        log = self.log
        validation.errors = log.errors + (validation.fatal is not None)
        validation.warnings = log.warnings
        validation.problem_counts = dict(log.by_code)
        if validation.fatal is not None:
            validation.problem_counts[validation.fatal.code] = (
                validation.problem_counts.get(validation.fatal.code, 0) + 1
            )
        validation.problems = sorted(log.items, key=lambda p: (p.sheet or "", p.row or 0))
        validation.problems_truncated = log.truncated

    # Reading ------------------------------------------------------------------------------

    def _row_chunks(self, rows: Iterator[Row]) -> Iterator[list[Row]]:
        """Rows in chunks; a file that cannot be read on stops the reading, not the chunks
        already read (they are still checked, so the report covers them)."""
        try:
            while chunk := list(itertools.islice(rows, self.chunk_rows)):
                yield chunk
        except TabularError as exc:
            self.stopped = exc

    def _chunks(
        self,
        table: Any,
        records_sheet: str | None,
        prepare: PrepareSettings,
        mapper: RowMapper,
        workers: int,
    ) -> Iterator[ChunkResult]:
        try:
            rows = table.records(records_sheet)
        except TabularError as exc:
            self.stopped = exc
            return
        chunks = self._row_chunks(rows)
        if workers == 0:
            preparer = RowPreparer(prepare, mapper)
            for seq, chunk in enumerate(chunks):
                yield preparer.prepare_chunk(seq, chunk)
            return
        states: list[MapperState] = []
        yield from _on_workers(chunks, prepare, workers, states)
        for state in states:
            merge_state(mapper, state)

    # Checking and writing -----------------------------------------------------------------

    def _take(self, rows: list[PreparedRow], table: Any) -> None:
        validation = self.report.validation
        log, key_header, seen = self.log, self.key_header, self.keys_seen
        fit: list[PreparedRow] = []
        for row in rows:
            validation.records += 1
            ok = row.ok
            for problem in row.problems:
                log.add(problem)
            if key_header is not None and row.key:
                first = seen.setdefault(row.key, row.number)
                if first != row.number:
                    ok = False
                    log.add(
                        Problem(
                            validation.file,
                            row.number,
                            key_header,
                            row.key,
                            f"the same key as row {first}: each key names one row",
                            "duplicate_key",
                            "error",
                            row.sheet or None,
                        )
                    )
            if not ok:
                validation.records_with_errors += 1
            else:
                fit.append(row)
        plan = self._plan(fit)
        writing = (
            self.writer is not None
            and log.errors == 0
            and table.problems.errors == 0
            and self.stopped is None
        )
        if writing and plan:
            assert self.writer is not None
            self.writer.write(plan)

    def _plan(self, rows: list[PreparedRow]) -> list[tuple[PreparedRow, int, int | None]]:
        """What to write for each fit row: (row, version, superseded record id); unchanged rows
        are counted and left out."""
        report = self.report
        existing: dict[str, tuple[int, int, Any]] = {}
        if self.had_records and rows and self.source is not None:
            existing = latest_versions(source_id=self.source.pk, keys=[r.key for r in rows])
        plan: list[tuple[PreparedRow, int, int | None]] = []
        raw_at = self.writer.layout.slot_index("raw") if self.writer else -1
        for row in rows:
            old = existing.get(row.key)
            if old is None:
                report.created += 1
                plan.append((row, 1, None))
            elif old[2] == (row.raw if row.params is None else json.loads(row.params[raw_at])):
                report.unchanged += 1
            else:
                report.new_versions += 1
                plan.append((row, old[1] + 1, old[0]))
        return plan


def _on_workers(
    chunks: Iterator[list[Row]],
    prepare: PrepareSettings,
    workers: int,
    states: list[MapperState],
) -> Iterator[ChunkResult]:
    """Prepare chunks on `workers` processes; yield the results in file order.

    At most four chunks per worker are in flight, so memory stays flat. Workers are started
    with "spawn": they import only the pure engine, never Django or this process's state.
    """
    context = multiprocessing.get_context("spawn")
    inbox = context.Queue(maxsize=2 * workers)
    outbox = context.Queue()
    processes = [
        context.Process(target=worker_main, args=(prepare, inbox, outbox), daemon=True)
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    pending: dict[int, ChunkResult] = {}
    next_seq = 0
    in_flight = 0

    def check_alive() -> None:
        dead = [p for p in processes if not p.is_alive() and p.exitcode not in (0, None)]
        if dead:
            raise WorkerFailed(f"a worker process stopped (exit code {dead[0].exitcode})")

    def send(item: Any) -> None:
        while True:
            try:
                inbox.put(item, timeout=1.0)
                return
            except queue.Full:
                check_alive()

    def take(kind: str, payload: Any) -> None:
        nonlocal in_flight
        if kind == "error":
            raise WorkerFailed(f"a worker process failed:\n{payload}")
        if kind == "chunk":
            pending[payload.seq] = chunk_from_wire(payload)
            in_flight -= 1
        else:
            states.append(payload)

    def receive() -> None:
        while True:
            try:
                kind, payload = outbox.get(timeout=1.0)
                break
            except queue.Empty:
                check_alive()
        take(kind, payload)

    def ready() -> Iterator[ChunkResult]:
        nonlocal next_seq
        while next_seq in pending:
            yield pending.pop(next_seq)
            next_seq += 1

    try:
        for seq, chunk in enumerate(chunks):
            while in_flight >= 4 * workers:
                receive()
                yield from ready()
            send((seq, rows_to_wire(chunk)))
            in_flight += 1
            with contextlib.suppress(queue.Empty):
                while True:
                    take(*outbox.get_nowait())
            yield from ready()
        for _ in processes:
            send(None)
        while in_flight > 0 or len(states) < workers:
            receive()
            yield from ready()
        yield from ready()
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=5)
        inbox.close()
        outbox.close()


def _finish(
    run: _Run,
    *,
    batch: ImportBatch | None,
    save_mapping: bool,
    kept: storage.KeptFile | None,
) -> None:
    """Inside the transaction, once the file proved valid: the batch and the saved mapping."""
    report, validation = run.report, run.report.validation
    source = run.source
    assert source is not None
    now = timezone.now()
    values = _batch_values(report)
    values.update(
        source=source,
        status=ImportBatch.Status.DONE,
        progress=1.0,
        finished_at=now,
        mapping=validation.mapping_used,
    )
    if batch is None:
        batch = ImportBatch.objects.create(
            file_name=validation.file,
            sha256=validation.sha256 or "",
            size=kept.size if kept else 0,
            source_name=source.name,
            origin=ImportBatch.Origin.COMMAND,
            actor=run.label,
            started_at=now,
            **values,
        )
    else:
        ImportBatch.objects.filter(pk=batch.pk).update(**values)
    report.batch_id = batch.pk
    if save_mapping and run.used is not None:
        mapping_save(actor=run.label, source=source, mapping=run.used)
    report.written = True
    audit_record(
        action="import",
        object_type=object_type_of(ImportBatch),
        object_id=str(batch.pk),
        after={
            "file": validation.file,
            "sha256": validation.sha256,
            "source": source.pk,
            "created": report.created,
            "new_versions": report.new_versions,
            "unchanged": report.unchanged,
            "key_column": report.key_column,
            "mapping": validation.mapping_used,
        },
    )


def _batch_values(report: ImportReport) -> dict[str, Any]:
    """A report as a batch's fields (the stored report trimmed to what a page shows)."""
    validation = report.validation
    data = report.to_dict()
    data["unresolved_places"] = data["unresolved_places"][:STORED_DECISIONS]
    data["unmatched_values"] = data["unmatched_values"][:STORED_DECISIONS]
    return {
        "format": validation.format or "",
        "rows": validation.rows_read,
        "records": validation.records,
        "created_count": report.created,
        "new_version_count": report.new_versions,
        "unchanged_count": report.unchanged,
        "invalid_count": report.invalid,
        "error_count": validation.errors,
        "warning_count": validation.warnings,
        "report": data,
    }


# ---------------------------------------------------------------------------- the wizard


def batch_upload(
    *, actor: Actor, kept: storage.KeptFile, file_name: str, source_name: str
) -> ImportBatch:
    """A new batch for a file kept by an upload, starting from the source's saved mapping.

    The reference data (vocabularies, the country pack) is loaded first if missing, so that the
    wizard can offer its terms and places.
    """
    reference_data_ensure()
    source = Source.objects.filter(name=source_name).first()
    saved = mapping_for_source(source)
    label = _actor_label(actor)
    with acting_as(label):
        return ImportBatch.objects.create(
            file_name=clean_file_name(file_name),
            sha256=kept.sha256,
            size=kept.size,
            source_name=source_name,
            mapping=saved.to_dict() if saved else {},
            origin=ImportBatch.Origin.WEB,
            created_by=_user(actor),
            actor=label,
        )


def batch_mapping(batch: ImportBatch) -> SourceMapping | None:
    """The mapping a batch will be read with (None: not chosen yet, the automatic one)."""
    return SourceMapping.from_dict(batch.mapping) if batch.mapping else None


def batch_mapping_set(*, actor: Actor, batch: ImportBatch, mapping: SourceMapping) -> None:
    """Change the mapping of a batch not imported yet; its last check no longer holds."""
    if batch.status in (ImportBatch.Status.DONE, ImportBatch.Status.DISCARDED) or batch.is_running:
        raise ValueError("this batch cannot be changed now")
    data = mapping.to_dict()
    ImportBatch.objects.filter(pk=batch.pk).update(
        mapping=data, status=ImportBatch.Status.UPLOADED, report={}, updated_at=timezone.now()
    )
    batch.mapping, batch.status, batch.report = data, ImportBatch.Status.UPLOADED, {}


def batch_decisions_apply(
    *,
    actor: Actor,
    batch: ImportBatch,
    places: dict[str, str],
    values: dict[str, dict[str, str]],
) -> None:
    """Add a person's decisions to the batch's mapping: places (place text → gazetteer code)
    and values (column → {text as written → vocabulary code})."""
    keyed = batch_mapping(batch) or SourceMapping(auto_mapping(batch.report.get("headers", [])))
    keyed.mapping.places.update(places)
    for column, table in values.items():
        rule = keyed.mapping.rule_for(column)
        if rule is not None:
            rule.values.update(table)
    batch_mapping_set(actor=actor, batch=batch, mapping=keyed)


def batch_check_start(*, actor: Actor, batch: ImportBatch) -> None:
    """Queue the dry run of a batch (a background task)."""
    from testigo.imports.tasks import batch_check_task

    _queue(batch, ImportBatch.Status.CHECKING, batch_check_task, batch.pk)


def batch_import_start(*, actor: Actor, batch: ImportBatch, save_mapping: bool) -> None:
    """Queue the import of a checked batch (a background task)."""
    from testigo.imports.tasks import batch_import_task

    if batch.status != ImportBatch.Status.CHECKED:
        raise ValueError("only a checked batch without errors can be imported")
    _queue(batch, ImportBatch.Status.QUEUED, batch_import_task, batch.pk, save_mapping)


def _queue(batch: ImportBatch, status: str, task: Any, *args: Any) -> None:
    storage.progress_clear(batch.pk)
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=status, progress=0.0, message="", started_at=None, finished_at=None
    )
    batch.status = status
    result = task.enqueue(*args)
    ImportBatch.objects.filter(pk=batch.pk).update(task_id=str(result.id)[:64])
    batch.task_id = str(result.id)[:64]


def _progress_writer(batch_id: int) -> Callable[[ImportProgress], None]:
    last = [0.0]

    def write(p: ImportProgress) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.5 or p.phase == "finishing":
            last[0] = now
            storage.progress_write(batch_id, fraction=p.fraction, rows=p.rows, phase=p.phase)

    return write


def batch_check(batch_id: int) -> None:
    """The dry run of a batch, as its background task runs it."""
    batch = ImportBatch.objects.get(pk=batch_id)
    ImportBatch.objects.filter(pk=batch_id).update(started_at=timezone.now())
    try:
        report = import_file(
            actor=batch.actor or None,
            path_or_file=storage.kept_path(batch.sha256),
            file_name=batch.file_name,
            source_name=batch.source_name,
            mapping=batch_mapping(batch),
            use_saved_mapping=False,
            dry_run=True,
            progress=_progress_writer(batch_id),
        )
    except Exception as exc:
        _failed(batch_id, exc)
        raise
    values = _batch_values(report)
    values.update(
        status=ImportBatch.Status.CHECKED if report.valid else ImportBatch.Status.INVALID,
        progress=1.0,
        finished_at=timezone.now(),
    )
    if not batch.mapping:
        values["mapping"] = report.validation.mapping_used
    ImportBatch.objects.filter(pk=batch_id).update(**values)


def batch_import(batch_id: int, save_mapping: bool = True) -> None:
    """The import of a checked batch, as its background task runs it."""
    batch = ImportBatch.objects.get(pk=batch_id)
    ImportBatch.objects.filter(pk=batch_id).update(
        status=ImportBatch.Status.IMPORTING, started_at=timezone.now()
    )
    try:
        report = import_file(
            actor=batch.actor or None,
            path_or_file=storage.kept_path(batch.sha256),
            source_name=batch.source_name,
            mapping=batch_mapping(batch),
            use_saved_mapping=False,
            save_mapping=save_mapping,
            progress=_progress_writer(batch_id),
            batch=batch,
        )
    except Exception as exc:
        _failed(batch_id, exc)
        raise
    if not report.written:  # the file or the database changed since the check
        values = _batch_values(report)
        values.update(status=ImportBatch.Status.INVALID, progress=1.0, finished_at=timezone.now())
        ImportBatch.objects.filter(pk=batch_id).update(**values)


def _failed(batch_id: int, exc: BaseException) -> None:
    ImportBatch.objects.filter(pk=batch_id).update(
        status=ImportBatch.Status.FAILED,
        message=f"{type(exc).__name__}: {exc}"[:2000],
        finished_at=timezone.now(),
    )


def batch_discard(*, actor: Actor, batch: ImportBatch) -> None:
    """Give up a batch that was not imported; its file goes unless something else refers to it."""
    if batch.status == ImportBatch.Status.DONE or batch.is_running:
        raise ValueError("an imported or running batch cannot be discarded")
    with acting_as(_actor_label(actor)), transaction.atomic():
        # The batch's report can be large: record the discard itself, not a snapshot of it.
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=ImportBatch.Status.DISCARDED, deleted_at=timezone.now()
        )
        batch.status = ImportBatch.Status.DISCARDED
        audit_record(
            action="delete",
            object_type=object_type_of(ImportBatch),
            object_id=str(batch.pk),
            after={"status": batch.status, "file": batch.file_name, "sha256": batch.sha256},
        )
        still_used = (
            ImportBatch.objects.filter(sha256=batch.sha256).exists()
            or Record.all_objects.filter(source_file_sha256=batch.sha256).exists()
        )
        if not still_used:
            transaction.on_commit(lambda: storage.file_discard(batch.sha256))
    storage.progress_clear(batch.pk)


__all__ = [
    "ImportProgress",
    "ImportReport",
    "WorkerFailed",
    "batch_check",
    "batch_check_start",
    "batch_decisions_apply",
    "batch_discard",
    "batch_import",
    "batch_import_start",
    "batch_mapping",
    "batch_mapping_set",
    "batch_upload",
    "import_file",
    "mapping_for_source",
    "mapping_save",
    "normalisation_context",
    "reference_data_ensure",
]
