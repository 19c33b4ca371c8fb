"""Preparing records: names, identity numbers, partial dates, ages and places as features."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from testigo.domain.national_ids import VENEZUELA, NationalIdError, normalize_national_id
from testigo.linkage.prepare import _national_ids, prepare_records
from testigo.linkage.schema import validate_records

from .conftest import features_of, record


def test_names_are_split_into_canonical_units_and_phonetic_keys():
    f = features_of(record(given_names="JOSÉ G.", family_names="PÉREZ RODRÍGUEZ")).iloc[0]
    assert (f.gn, f.gn1, f.gn2, f.gn1_i) == ("jose g", "jose", "g", "j")
    assert (f.sn1, f.sn2, f.sn) == ("perez", "rodriguez", "perez rodriguez")
    assert (f.sn1_ph, f.sn2_ph) == ("peres", "rodriges")


def test_a_full_name_in_one_field_written_surnames_first_with_a_comma_is_split():
    f = features_of(record(given_names="PEREZ RODRIGUEZ, JOSE GREGORIO")).iloc[0]
    assert (f.gn, f.sn) == ("jose gregorio", "perez rodriguez")


def test_a_lone_surname_field_of_three_units_is_read_surnames_first():
    f = features_of(record(family_names="PEREZ RODRIGUEZ JOSE")).iloc[0]
    assert (f.gn, f.sn1, f.sn2) == ("jose", "perez", "rodriguez")


@pytest.mark.parametrize(
    ("text", "digits", "prefix"),
    [
        ("V-12.345.678", "12345678", "V"),
        ("v12345678", "12345678", "V"),
        ("12.345.678", "12345678", None),
        ("C.I. E-1.234.567", "1234567", "E"),
        ("012345678", "12345678", None),
        ("12345678.0", "12345678", None),
    ],
)
def test_identity_numbers_are_normalised_with_the_domain_rules(text, digits, prefix):
    f = features_of(record(given_names="Ana", national_id=text)).iloc[0]
    assert (f.nid, f.nid_prefix) == (digits, prefix)
    assert (f.nid_hd, f.nid_tl) == (digits[:4], digits[-4:])


def test_short_identity_numbers_have_no_halves_to_block_on():
    f = features_of(record(given_names="Ana", national_id="12345")).iloc[0]
    assert f.nid == "12345"
    assert f.nid_hd is None and f.nid_tl is None


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.from_regex(r"[VEve]?-?[0-9]{1,9}", fullmatch=True),
        st.from_regex(r"([VE]-)?[0-9]{1,3}(\.[0-9]{3}){1,3}", fullmatch=True),
        st.text(alphabet="VEJX0123456789.- ", max_size=12),
    )
)
def test_the_fast_path_for_plain_identity_numbers_agrees_with_the_domain_parser(text):
    fast = _national_ids(pd.Series([text], dtype=object), fmt=VENEZUELA).iloc[0]
    try:
        expected = normalize_national_id(text)
        assert fast == (expected.digits, expected.prefix)
    except NationalIdError:
        assert fast is None or isinstance(fast, str) or fast == (None, None)


def test_partial_birth_dates_keep_their_precision():
    f = features_of(
        record(given_names="A", birth_date="1985-03-04"),
        record(given_names="B", birth_date="1985-03"),
        record(given_names="C", birth_date="1985"),
        record(given_names="D", birth_date="15/08/1985"),
    )
    assert f.b_prec.tolist() == ["D", "M", "Y", "D"]
    assert (f.b_hi - f.b_lo).tolist() == [0, 30, 364, 0]
    assert f.b_year.tolist() == [1985] * 4
    assert f.b_day.notna().tolist() == [True, False, False, True]


def test_only_a_day_precise_event_date_gives_an_event_day():
    f = features_of(
        record(given_names="A", event_date="2024-08-15"),
        record(given_names="B", event_date="2024-08"),
        record(given_names="C"),
    )
    assert f.ev_day.notna().tolist() == [True, False, False]
    assert f.ev_day.iloc[0] == f.ev_lo.iloc[0]
    assert f.ev_ym.tolist()[:2] == ["2024-08", "2024-08"]


def test_an_age_at_the_event_gives_a_birth_interval():
    f = features_of(record(given_names="A", age="30", event_date="2024-08-15")).iloc[0]
    assert f.b_prec == "A"
    born_lo = pd.Timestamp("1970-01-01") + pd.Timedelta(days=int(f.b_lo))
    born_hi = pd.Timestamp("1970-01-01") + pd.Timedelta(days=int(f.b_hi))
    assert (born_lo.date().isoformat(), born_hi.date().isoformat()) == ("1993-08-16", "1994-08-15")


def test_unreadable_values_are_ignored_and_reported_with_row_and_column():
    frame = pd.DataFrame(
        [
            {"record_id": "a", "given_names": "Ana", "family_names": "Pérez",
             "birth_date": "31/02/1990", "national_id": "12.34.5"},
            {"record_id": "b", "given_names": "Luis", "family_names": "Gil",
             "birth_date": "1990", "national_id": "V-1.234.567"},
        ]
    )  # fmt: skip
    prepared = prepare_records(validate_records(frame))
    assert prepared.problem_count == 2
    assert {(p.row, p.column) for p in prepared.problems} == {
        (1, "birth_date"),
        (1, "national_id"),
    }
    assert prepared.features["nid"].tolist() == [None, "1234567"]


def test_misspelt_and_aliased_states_resolve_to_gazetteer_codes(gazetteer):
    f = features_of(
        record(given_names="A", state="Zulia", municipality="Maracaibo"),
        record(given_names="B", state="Zluia"),
        record(given_names="C", state="Estdo Zulia"),
        record(given_names="D", state="", municipality="Maracaibo"),
        gazetteer=gazetteer,
    )
    assert f.st.nunique() == 1
    assert f.st.iloc[0].startswith("VE-")
    assert f.mu.iloc[0] == f.mu.iloc[3]


def test_without_a_gazetteer_places_compare_as_folded_text():
    f = features_of(
        record(given_names="A", state="Edo. Mérida"), record(given_names="B", state="MERIDA")
    )
    assert f.st.tolist() == ["merida", "merida"]


def test_day_precise_event_dates_have_a_week_for_blocking():
    days = features_of(
        record(given_names="Ana", event_date="2024-08-01"),
        record(given_names="Ana", event_date="2024-08-05"),
        record(given_names="Ana", event_date="2024-08-09"),
        record(given_names="Ana", event_date="2024-08"),
    )["ev_wk"].tolist()
    assert days[0] == days[1] != days[2]  # weeks run Thursday to Wednesday
    assert pd.isna(days[3])
