"""Reading capture histories: both CSV layouts, and a clear error for every bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from testigo.estimation import (
    HistoriesError,
    InsufficientDataError,
    check_support,
    from_arrays,
    read_histories,
    read_stratified_histories,
)

from .conftest import DATA


def write(tmp_path: Path, text: str, name: str = "h.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_it_reads_the_tabular_layout_with_a_count_column(kosovo):
    assert kosovo.lists == ("EXH", "ABA", "OSCE", "HRW")
    assert kosovo.n_patterns == 15
    assert kosovo.observed == 4400
    assert kosovo.patterns.shape == (15, 4)
    assert kosovo.counts[kosovo.patterns.tolist().index([1, 0, 0, 0])] == 1131


def test_it_reads_one_row_per_person_without_a_count_column(tmp_path):
    path = write(tmp_path, "A,B,C\n1,0,0\n1,0,0\n0,1,1\n1,1,1\n")
    h = read_histories(path)
    assert h.observed == 4
    assert dict(zip(map(tuple, h.patterns.tolist()), h.counts.tolist(), strict=True)) == {
        (0, 1, 1): 1,
        (1, 0, 0): 2,
        (1, 1, 1): 1,
    }


def test_both_layouts_of_the_same_people_give_the_same_histories(tmp_path):
    tab = read_histories(write(tmp_path, "A,B,C,count\n1,0,0,2\n0,1,1,1\n", "t.csv"))
    ind = read_histories(write(tmp_path, "A,B,C\n1,0,0\n0,1,1\n1,0,0\n", "i.csv"))
    assert np.array_equal(tab.patterns, ind.patterns)
    assert np.array_equal(tab.counts, ind.counts)


def test_it_sums_repeated_patterns_and_drops_zero_counts(tmp_path):
    h = read_histories(write(tmp_path, "A,B,C,count\n1,0,0,2\n1,0,0,3\n0,1,0,0\n0,0,1,1\n"))
    assert h.patterns.tolist() == [[0, 0, 1], [1, 0, 0]]
    assert h.counts.tolist() == [1, 5]


def test_it_accepts_a_bom_semicolons_r_freq_and_whitespace(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffA; B ;C;Freq\n1; 0;0; 4\n0;1;1;2\n".encode())
    h = read_histories(path)
    assert h.lists == ("A", "B", "C")
    assert h.observed == 6


def test_it_sorts_patterns_with_the_first_list_as_the_most_significant_bit(kosovo):
    codes = kosovo.patterns @ (1 << np.arange(3, -1, -1))
    assert codes.tolist() == list(range(1, 16))
    assert kosovo.full_table().tolist() == kosovo.counts.tolist()


def test_it_can_use_a_chosen_subset_of_columns(tmp_path):
    path = write(tmp_path, "id,A,B,C\n7,1,0,0\n8,0,1,1\n")
    h = read_histories(path, columns=["A", "B", "C"])
    assert h.lists == ("A", "B", "C")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "A,B,C,count\n1,0,2,5\n",
            r"h\.csv, row 1 \(line 2\), column 'C': value '2' is not 0 or 1",
        ),
        ("A,B,C,count\n1,0,0,5\n1,x,0,1\n", r"row 2 \(line 3\), column 'B': value 'x'"),
        ("A,B,C,count\n1,0,0,-3\n", r"row 1 \(line 2\), column 'count': negative count -3"),
        ("A,B,C,count\n1,0,0,2.5\n", r"count '2.5' is not a whole number"),
        ("A,B,C,count\n0,0,0,4\n", r"row 1 \(line 2\): the pattern has no list marked 1"),
        ("A,B,C\n1,0,0\n0,0,0\n", r"row 2 \(line 3\): the pattern has no list marked 1"),
        ("A,B,C,count\n1,0,0\n", r"row 1 \(line 2\): 3 fields, but the header has 4"),
        ("count\n5\n", r"no list columns found"),
        ("A,B,count\n1,0,5\n0,1,3\n1,1,2\n", r"only 2 list\(s\) \(A, B\).*at least 3"),
        ("", r"h\.csv: the file is empty"),
        ("  \n\n", r"the file is empty"),
        ("A,B,C,count\n", r"header but no data rows"),
        ("A,B,C,count\n1,0,0,0\n", r"every count is zero"),
        ("A,A,C,count\n1,0,0,1\n", r"column 'A' appears twice"),
        ("A,,C,count\n1,0,0,1\n", r"column 2 has no name"),
        ("A,B,C,count,freq\n1,0,0,1,1\n", r"more than one count column"),
    ],
)
def test_it_rejects_bad_input_naming_file_row_column_and_problem(tmp_path, text, expected):
    with pytest.raises(HistoriesError, match=expected):
        read_histories(write(tmp_path, text))


def test_the_two_list_refusal_explains_why(tmp_path):
    with pytest.raises(HistoriesError) as info:
        read_histories(write(tmp_path, "A,B,count\n1,0,5\n0,1,3\n1,1,2\n"))
    assert "independent" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_it_rejects_a_missing_file_and_non_utf8_text(tmp_path):
    with pytest.raises(HistoriesError, match="file not found"):
        read_histories(tmp_path / "nope.csv")
    path = tmp_path / "latin1.csv"
    path.write_bytes("A,B,C,Señal\n1,0,0,1\n".encode("latin-1"))
    with pytest.raises(HistoriesError, match="not UTF-8"):
        read_histories(path)


def test_it_rejects_an_unknown_chosen_column(tmp_path):
    with pytest.raises(HistoriesError, match="no column named 'D'"):
        read_histories(write(tmp_path, "A,B,C\n1,0,0\n"), columns=["A", "B", "D"])


def test_every_reference_data_set_reads_with_the_documented_size():
    sizes = {"kosovo": 4400, "uk2013": 2744, "netherlands": 8234, "ph_caloocan_unidentified": 599}
    for name, n in sizes.items():
        assert read_histories(DATA / f"{name}.csv").observed == n


def test_check_support_drops_lists_that_recorded_nobody():
    h = from_arrays([[1, 0, 0, 0], [0, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 0], [1, 0, 1, 0]],
                    [300, 200, 100, 150, 50], lists=["A", "B", "C", "D"])  # fmt: skip
    checked = check_support(h)
    assert checked.histories.lists == ("A", "B", "C")
    assert [code for code, _ in checked.caveats] == ["dropped_lists"]


def test_check_support_refuses_when_fewer_than_three_lists_have_records():
    h = from_arrays([[1, 0, 0], [0, 1, 0], [1, 1, 0]], [30, 20, 10], lists=["A", "B", "C"])
    with pytest.raises(InsufficientDataError, match="only 2 list"):
        check_support(h)


def test_check_support_refuses_when_no_one_is_on_two_lists():
    h = from_arrays([[1, 0, 0], [0, 1, 0], [0, 0, 1]], [30, 20, 10])
    with pytest.raises(InsufficientDataError, match="nobody appears on more than one list"):
        check_support(h)


def test_check_support_refuses_tiny_counts_and_warns_on_small_ones():
    with pytest.raises(InsufficientDataError, match="only 4 people"):
        check_support(from_arrays([[1, 0, 0], [1, 1, 0], [0, 1, 1]], [1, 2, 1]))
    checked = check_support(from_arrays([[1, 0, 0], [1, 1, 0], [0, 1, 1]], [30, 20, 10]))
    assert [code for code, _ in checked.caveats] == ["few_observed"]


def test_check_support_flags_a_list_that_overlaps_no_other_list():
    h = from_arrays([[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1]], [100, 50, 60, 40])
    codes = [code for code, _ in check_support(h).caveats]
    assert codes == ["isolated_list"]


def test_it_reads_strata_from_one_file(tmp_path):
    path = write(
        tmp_path,
        "period,A,B,C,count\n2019,1,0,0,5\n2019,1,1,0,2\n2020,0,1,1,3\n2020,1,0,1,1\n2019,0,0,1,4\n",
    )
    strata = read_stratified_histories(path, stratum_column="period")
    assert list(strata) == ["2019", "2020"]
    assert strata["2019"].observed == 11
    assert strata["2020"].lists == ("A", "B", "C")
    assert "period=2020" in strata["2020"].origin


@settings(max_examples=60, deadline=None)
@given(
    st.integers(3, 6).flatmap(
        lambda j: st.lists(
            st.tuples(st.lists(st.integers(0, 1), min_size=j, max_size=j), st.integers(0, 50)),
            min_size=1,
            max_size=40,
        )
    )
)
def test_from_arrays_keeps_every_person_with_a_nonzero_pattern(rows):
    rows = [(p, c) for p, c in rows if any(p) or c == 0]
    if not rows or sum(c for _, c in rows) == 0:
        return
    h = from_arrays([p for p, _ in rows], [c for _, c in rows])
    assert h.observed == sum(c for _, c in rows)
    assert (h.counts > 0).all()
    assert len({tuple(p) for p in h.patterns.tolist()}) == h.n_patterns
    assert h.full_table().sum() == h.observed
    assert h.captures_per_person()[1:] @ np.arange(1, h.n_lists + 1) == sum(
        c * sum(p) for p, c in rows
    )
