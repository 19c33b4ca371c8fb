"""KoboToolbox / ODK exports: question names from group paths, select_multiple, repeat groups.

What an export looks like (KoboToolbox "XLS" or "CSV" export, XML values and headers):

* headers are question paths, "grupo_victima/nombres"; the question name is the last part
  ("nombres") unless two groups use the same name, when the whole path is kept;
* a select_multiple question "hecho" has a column holding the chosen options separated by
  spaces ("detencion tortura") and, when answers are split, one 0/1 column per option
  ("hecho/detencion"). The option columns of a question whose own column is present are
  dropped from the values (they stay in the raw row); when only the 0/1 columns exist (two or
  more under one path, all 0/1 in the first rows), the question's column is rebuilt from them;
* a repeat group (several persons in one submission) is a separate sheet whose rows carry
  ``_parent_index`` (the ``_index`` of their parent row) and ``_parent_table_name``. They are
  yielded right after their parent row, linked to it.

Meta columns ("_id", "_uuid", "_submission_time", ...) keep their names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from testigo.tabular.rows import Row

__all__ = [
    "KoboLayout",
    "group_children",
    "inherit_parents",
    "looks_like_kobo",
    "merge_repeats",
]

_MARKERS = frozenset(
    {"_uuid", "_submission_time", "meta/instanceID", "_parent_index", "_submission__uuid"}
)
_TRUE = frozenset({"1", "1.0", "true", "verdadero", "yes", "si", "sí"})
_BINARY = _TRUE | frozenset({"", "0", "0.0", "false", "falso", "no"})


def looks_like_kobo(headers: Iterable[str]) -> bool:
    """True if the headers carry KoboToolbox/ODK submission metadata."""
    return any(header in _MARKERS for header in headers)


def _last(path: str) -> str:
    return path if path.startswith("_") else path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class KoboLayout:
    """How one sheet's raw headers become question names."""

    plain: tuple[tuple[str, str], ...]  # (name, raw header)
    rebuilt: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]  # (name, ((option, raw), ...))
    select_multiple: frozenset[str]  # names whose value is a space-separated list of options

    @property
    def headers(self) -> list[str]:
        return [name for name, _ in self.plain] + [name for name, _ in self.rebuilt]

    @classmethod
    def build(cls, headers: Sequence[str], sample: Sequence[Sequence[str]]) -> KoboLayout:
        """Work out the layout from the raw headers and the first data rows."""
        present = set(headers)
        option_columns = {
            h
            for h in headers
            if "/" in h and not h.startswith("_") and h.rsplit("/", 1)[0] in present
        }
        parents = {h.rsplit("/", 1)[0] for h in option_columns}
        position = {h: i for i, h in enumerate(headers)}
        groups: dict[str, list[str]] = {}
        for header in headers:
            if "/" in header and header not in option_columns and not header.startswith("_"):
                groups.setdefault(header.rsplit("/", 1)[0], []).append(header)
        rebuilt_paths: dict[str, list[str]] = {}
        for prefix, columns in groups.items():
            seen = [
                row[position[c]].strip().lower()
                for row in sample
                for c in columns
                if position[c] < len(row)
            ]
            if (
                len(columns) >= 2
                and all(v in _BINARY for v in seen)
                and any(v in _TRUE for v in seen)
            ):
                rebuilt_paths[prefix] = columns
        plain_paths = [h for h in headers if h not in option_columns]
        # A question name is the last path part, unless two paths would share it.
        names = [_last(p) for p in plain_paths] + [_last(p) for p in rebuilt_paths]
        clashes = {n for n in names if names.count(n) > 1}

        def name_of(path: str) -> str:
            return path if _last(path) in clashes else _last(path)

        return cls(
            plain=tuple((name_of(p), p) for p in plain_paths),
            rebuilt=tuple(
                (name_of(prefix), tuple((_last(c), c) for c in columns))
                for prefix, columns in rebuilt_paths.items()
            ),
            select_multiple=frozenset(name_of(p) for p in (*parents, *rebuilt_paths)),
        )

    def apply(self, raw: dict[str, str]) -> dict[str, str]:
        """Question name → value for one raw row."""
        values = {name: raw.get(header, "") for name, header in self.plain}
        for name, options in self.rebuilt:
            values[name] = " ".join(
                option for option, header in options if raw.get(header, "").strip().lower() in _TRUE
            )
        return values


# Repeat groups --------------------------------------------------------------------------------


def _key(text: str | None) -> tuple[int, int | str]:
    text = (text or "").strip()
    try:
        return (0, int(float(text)))
    except (ValueError, OverflowError):
        return (1, text)


class _Cursor:
    """A peekable stream of the rows of one repeat sheet."""

    def __init__(self, rows: Iterator[Row]) -> None:
        self._rows = rows
        self._next: Row | None = next(rows, None)

    def peek(self) -> Row | None:
        return self._next

    def pop(self) -> Row:
        row = self._next
        assert row is not None
        self._next = next(self._rows, None)
        return row


def _parent_key(row: Row) -> tuple[int, int | str]:
    return _key(row.payload.get("_parent_index"))


def merge_repeats(
    main: Iterator[Row],
    children: dict[str, list[Iterator[Row]]],
    *,
    orphan: Callable[[Row], None],
) -> Iterator[Row]:
    """Yield each row followed (depth first) by its repeat rows, with `parent` set.

    `children` maps a sheet name to the row streams of its repeat sheets; each must be in the
    order of its parents' ``_index``, as KoboToolbox writes them. A repeat row whose parent is
    not found (missing, or the sheet is out of order) is still yielded, with no parent, after
    `orphan(row)` is called: no row is dropped.
    """
    cursors = {sheet: [_Cursor(rows) for rows in kids] for sheet, kids in children.items()}

    def with_children(row: Row) -> Iterator[Row]:
        yield row
        index = _key(row.payload.get("_index"))
        for cursor in cursors.get(row.sheet, ()):
            while (child := cursor.peek()) is not None and _parent_key(child) < index:
                orphan(cursor.pop())
                yield from with_children(child)
            while (child := cursor.peek()) is not None and _parent_key(child) == index:
                cursor.pop().parent = row.ref
                yield from with_children(child)

    for row in main:
        yield from with_children(row)
    for sheet_cursors in list(cursors.values()):
        for cursor in sheet_cursors:
            while cursor.peek() is not None:
                child = cursor.pop()
                orphan(child)
                yield from with_children(child)


def group_children(rows: Iterable[Row], main: str) -> Iterator[Row]:
    """Records from the main sheet, each with its repeat rows in `children`.

    `rows` come from `merge_repeats`. A repeat row without a parent is a record of its own.
    """
    current: Row | None = None
    for row in rows:
        if current is None or row.sheet == main or row.parent is None:
            if current is not None:
                yield current
            current = row
        else:
            if current.children is None:
                current.children = []
            current.children.append(row)
    if current is not None:
        yield current


def inherit_parents(
    rows: Iterable[Row],
    sheet: str,
    *,
    path: Iterable[str],
    skipped: Callable[[Row], None],
) -> Iterator[Row]:
    """Records from a repeat sheet: each row of `sheet` carrying its parent rows' values.

    `rows` come from `merge_repeats`; `path` names the sheets above `sheet` (the main sheet
    first). The row's own non-blank values win over its parents'. A row on the path that has no
    row of `sheet` below it is yielded on its own (a submission that lists nobody is still a
    record). Rows of other sheets go to `skipped`, so that a caller can report them.
    """
    on_path = set(path)
    stack: list[_Frame] = []  # the current row's ancestors, outermost first

    def pop() -> Row | None:
        frame = stack.pop()
        return frame.row if frame.row.sheet in on_path and not frame.has_target else None

    for row in rows:
        while stack and (row.parent is None or stack[-1].row.ref != row.parent):
            if (alone := pop()) is not None:
                yield alone
        if row.sheet == sheet:
            merged: dict[str, str] = {}
            for frame in stack:
                frame.has_target = True
                merged.update(frame.row.values)
            for name, value in row.values.items():
                if value.strip() or name not in merged:
                    merged[name] = value
            yield Row(row.number, merged, row.sheet, row.parent, row.raw)
            stack.append(_Frame(row, True))
        elif row.sheet in on_path:
            stack.append(_Frame(row, False))
        else:
            skipped(row)
            stack.append(_Frame(row, True))
    while stack:
        if (alone := pop()) is not None:
            yield alone


@dataclass(slots=True)
class _Frame:
    row: Row
    has_target: bool  # a row of the record sheet lies below it
