"""CSV rows as lists of text, with the delimiter found from the first lines."""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Iterator

from testigo.tabular.errors import MalformedFileError
from testigo.tabular.textio import ByteSource, TextStream, split_lines

__all__ = ["DELIMITERS", "CsvRows", "detect_delimiter"]

DELIMITERS = (",", ";", "\t", "|")
_SAMPLE_LINES = 200
_SAMPLE_CHARS = 256 << 10
_SEP_LINE = re.compile(r"sep=(.)\r?\n?")  # Excel's hint line: "sep=;"


def detect_delimiter(lines: list[str]) -> str:
    """The delimiter that splits the sample lines into the most consistent number of columns.

    A candidate scores by the share of rows that have as many cells as the most common width,
    then by that width; a file with one column gets ",".
    """
    best: tuple[float, int, int] = (0.0, 0, 0)
    best_delimiter = ","
    for rank, delimiter in enumerate(DELIMITERS):
        try:
            widths = [len(row) for row in csv.reader(lines, delimiter=delimiter) if any(row)]
        except csv.Error:
            continue
        if not widths:
            continue
        width = max(set(widths), key=lambda w: (widths.count(w), w))
        if width < 2:
            continue
        score = (widths.count(width) / len(widths), width, -rank)
        if score > best:
            best, best_delimiter = score, delimiter
    return best_delimiter


class CsvRows:
    """The records of a CSV file as ``(row number, cells)``, row 1 being the first record."""

    def __init__(
        self,
        source: ByteSource,
        *,
        name: str,
        encoding: str | None = None,
        delimiter: str | None = None,
    ) -> None:
        self._name = name
        self._text = TextStream(source, name=name, encoding=encoding)
        lines = split_lines(self._text.chunks(), name=name)
        sample: list[str] = []
        size = 0
        for line in lines:
            sample.append(line)
            size += len(line)
            if len(sample) >= _SAMPLE_LINES or size >= _SAMPLE_CHARS:
                break
        if sample and (hint := _SEP_LINE.fullmatch(sample[0])):
            sample.pop(0)
            delimiter = delimiter or hint[1]
        # The last sampled line may be cut inside a quoted cell; leave it out of the vote.
        self.delimiter = delimiter or detect_delimiter(sample[:-1] if len(sample) > 1 else sample)
        self._lines = itertools.chain(sample, lines)

    @property
    def encoding(self) -> str:
        """The encoding used so far (final once the rows have been read)."""
        return self._text.encoding

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        reader = csv.reader(self._lines, delimiter=self.delimiter, quotechar='"', strict=False)
        number = 0
        try:
            for number, cells in enumerate(reader, start=1):
                yield number, cells
        except csv.Error as exc:
            raise MalformedFileError(f"{self._name}: row {number + 1}: {exc}") from None
