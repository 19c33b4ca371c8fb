"""The hash chain on its own, without a database."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from testigo.domain.audit_chain import GENESIS_HASH, entry_digest, verify_chain


def make_chain(payloads: list[str]) -> list[tuple]:
    rows, prev = [], GENESIS_HASH
    for seq, payload in enumerate(payloads, start=1):
        fields = (
            seq,
            "2026-01-01T00:00:00.000000Z",
            "user:1:ana",
            "update",
            "core.person",
            str(seq),
            "",
            payload,
        )
        h = entry_digest(*fields, prev)
        rows.append((*fields, prev, h))
        prev = h
    return rows


def test_an_untouched_chain_verifies():
    rows = make_chain(["a", "b", "c"])
    assert verify_chain(rows, expected_head=(3, rows[-1][-1])) == (3, None)


def test_an_empty_log_verifies():
    assert verify_chain([], expected_head=(0, GENESIS_HASH)) == (0, None)


def test_it_names_the_altered_entry():
    rows = make_chain(["a", "b", "c", "d"])
    rows[2] = (*rows[2][:7], "tampered", *rows[2][8:])
    _, broken = verify_chain(rows)
    assert broken is not None and broken.seq == 3
    assert "hash" in broken.reason


def test_it_names_the_gap_left_by_a_removed_entry():
    rows = make_chain(["a", "b", "c", "d"])
    del rows[1]
    _, broken = verify_chain(rows)
    assert broken is not None and broken.seq == 2
    assert "missing" in broken.reason


def test_it_catches_two_entries_swapped():
    rows = make_chain(["a", "b", "c", "d"])
    rows[1], rows[2] = rows[2], rows[1]
    _, broken = verify_chain(rows)
    assert broken is not None and broken.seq in {2, 3}


def test_it_catches_a_truncated_tail_against_the_head():
    rows = make_chain(["a", "b", "c"])
    _, broken = verify_chain(rows[:2], expected_head=(3, rows[-1][-1]))
    assert broken is not None and "head" in broken.reason


def test_field_boundaries_cannot_be_shifted():
    # Moving characters from one field into the next must change the hash.
    a = entry_digest(1, "t", "ab", "c", "x", "1", "", "", GENESIS_HASH)
    b = entry_digest(1, "t", "a", "bc", "x", "1", "", "", GENESIS_HASH)
    assert a != b


@given(st.lists(st.text(max_size=40), min_size=1, max_size=20), st.data())
def test_any_single_field_change_is_detected(payloads, data):
    rows = make_chain(payloads)
    index = data.draw(st.integers(0, len(rows) - 1))
    column = data.draw(st.sampled_from([1, 2, 3, 4, 5, 6, 7, 9]))
    row = list(rows[index])
    new_value = data.draw(st.text(min_size=1, max_size=10).filter(lambda v: v != row[column]))
    row[column] = new_value
    rows[index] = tuple(row)
    _, broken = verify_chain(rows, expected_head=(len(rows), make_chain(payloads)[-1][-1]))
    assert broken is not None
