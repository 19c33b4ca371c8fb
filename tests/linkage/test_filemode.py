"""File mode (`testigo link`): reading and checking the CSV, writing persons, reporting."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from testigo.linkage import LinkInputError, LinkSettings, link_csv, pairwise_scores
from testigo.linkage.schema import RECORD_COLUMNS

FAST = LinkSettings(u_max_pairs=2e5)


@pytest.fixture(scope="module")
def records_csv(tmp_path_factory, demo_frame) -> Path:
    path = tmp_path_factory.mktemp("link") / "records.csv"
    demo_frame.head(600).to_csv(path, index=False)
    return path


def _write(tmp_path: Path, text: str, name: str = "records.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


HEADER = ",".join(RECORD_COLUMNS)


def test_it_writes_one_person_id_per_record_in_input_order(records_csv, tmp_path):
    out = tmp_path / "clusters.csv"
    report = link_csv(records_csv, out, progress=False, settings=FAST)
    written = pd.read_csv(out, dtype=str)
    source = pd.read_csv(records_csv, dtype=str)
    assert list(written.columns) == ["record_id", "person_id"]
    assert written["record_id"].tolist() == source["record_id"].tolist()
    assert report.records == 600
    assert report.persons == written["person_id"].nunique()
    assert pairwise_scores(source["true_person_key"], written["person_id"]).f1 > 0.9


def test_the_json_report_has_the_counts_a_script_needs(records_csv, tmp_path):
    stream = io.StringIO()
    report = link_csv(records_csv, tmp_path / "out.csv", json=True, settings=FAST, stream=stream)
    data = json.loads(json.dumps(report.to_json_dict()))
    assert {"records", "persons", "pairs_to_review", "match_threshold", "problems"} <= set(data)
    assert stream.getvalue() == ""  # machine mode: no progress bar


def test_the_progress_bar_goes_to_the_given_stream(records_csv, tmp_path):
    stream = io.StringIO()
    link_csv(records_csv, tmp_path / "out.csv", progress=True, settings=FAST, stream=stream)
    assert "linking" in stream.getvalue()


def test_the_review_queue_can_be_written_too(records_csv, tmp_path):
    review = tmp_path / "review.csv"
    report = link_csv(
        records_csv, tmp_path / "out.csv", progress=False, settings=FAST, review_output=review
    )
    queue = pd.read_csv(review)
    assert len(queue) == report.pairs_to_review
    assert {"record_id_l", "record_id_r", "priority"} <= set(queue.columns)


def test_a_missing_required_column_is_named_and_nothing_is_written(tmp_path):
    path = _write(tmp_path, "record_id,given_names\nr1,Ana\n")
    out = tmp_path / "out.csv"
    with pytest.raises(
        LinkInputError, match=r"records\.csv: missing required column.*family_names"
    ):
        link_csv(path, out, progress=False)
    assert not out.exists()


def test_a_duplicate_record_id_names_both_rows(tmp_path):
    path = _write(
        tmp_path, f"{HEADER}\nr1,s,Ana,Pérez,,,,,,\nr2,s,Luis,Gil,,,,,,\nr1,s,Eva,Paz,,,,,,\n"
    )
    with pytest.raises(LinkInputError) as error:
        link_csv(path, tmp_path / "out.csv", progress=False)
    message = str(error.value)
    assert "row 3" in message and "'record_id'" in message and "first seen in row 1" in message
    assert error.value.row == 3 and error.value.column == "record_id"


def test_a_blank_record_id_is_an_error(tmp_path):
    path = _write(tmp_path, f"{HEADER}\nr1,s,Ana,Pérez,,,,,,\n ,s,Luis,Gil,,,,,,\n")
    with pytest.raises(LinkInputError, match=r"row 2, column 'record_id': record_id is blank"):
        link_csv(path, tmp_path / "out.csv", progress=False)


def test_text_that_is_not_utf8_is_refused(tmp_path):
    path = _write(tmp_path, f"{HEADER}\nr1,s,José,Pérez,,,,,,\n", encoding="latin-1")
    with pytest.raises(LinkInputError, match="not UTF-8"):
        link_csv(path, tmp_path / "out.csv", progress=False)


def test_a_row_with_too_many_fields_is_refused_with_its_line(tmp_path):
    path = _write(tmp_path, f"{HEADER}\nr1,s,Ana,Pérez,,,,,,\nr2,s,Luis,Gil,,,,,,,extra\n")
    with pytest.raises(LinkInputError, match="malformed CSV: Expected 10 fields in line 3"):
        link_csv(path, tmp_path / "out.csv", progress=False)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("record_id,given_names,given_names,family_names\n", "used twice in the header"),
    ],
)
def test_empty_files_and_repeated_columns_are_refused(tmp_path, text, message):
    with pytest.raises(LinkInputError, match=message):
        link_csv(_write(tmp_path, text), tmp_path / "out.csv", progress=False)


def test_a_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(LinkInputError, match="file not found"):
        link_csv(tmp_path / "nope.csv", tmp_path / "out.csv", progress=False)


def test_unreadable_dates_and_numbers_are_reported_not_fatal(tmp_path):
    rows = [
        f"r{i},s,Ana,Pérez,F,1990-01-0{1 + i % 9},V-1{i:07d},Zulia,,2024-08-01" for i in range(40)
    ]
    rows.append("bad,s,Luis,Gil,M,31/02/1990,12.34.5,Zulia,,2024-08-01")
    path = _write(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n")
    report = link_csv(path, tmp_path / "out.csv", progress=False, settings=FAST)
    assert report.problem_count == 2
    assert {(p.row, p.column) for p in report.problems} == {(41, "birth_date"), (41, "national_id")}
