"""Synthetic records for linkage: the demo generator's rows in §6 form, and a harder variant."""

from __future__ import annotations

import re
from datetime import date

import pytest

from testigo.domain.dates import PartialDate
from testigo.linkage.schema import RECORD_COLUMNS
from testigo.linkage.synthetic import HardNoise, hard_records, iso_partial

ISO_PARTIAL = re.compile(r"(\d{4}(-\d{2}(-\d{2})?)?)?")


def test_demo_records_are_in_the_link_format_with_the_truth(demo_frame):
    assert list(demo_frame.columns) == [*RECORD_COLUMNS, "age", "true_person_key"]
    assert demo_frame["record_id"].is_unique
    assert demo_frame["birth_date"].str.fullmatch(ISO_PARTIAL).all()
    assert demo_frame["event_date"].str.fullmatch(ISO_PARTIAL).all()
    assert demo_frame["true_person_key"].nunique() < len(demo_frame)


def test_hard_records_are_as_damaged_as_the_issue_asks(hard_frame):
    n = len(hard_frame)
    assert 0.36 <= (hard_frame["national_id"] == "").sum() / n <= 0.44
    weak_birth = hard_frame["birth_date"].str.fullmatch(r"|\d{4}")
    assert 0.40 <= weak_birth.mean() <= 0.50
    one_surname = ~hard_frame["family_names"].str.contains(" ")
    assert one_surname.mean() >= 0.25
    # Namesakes: different people with the same full name.
    names = hard_frame["given_names"].str.lower() + "|" + hard_frame["family_names"].str.lower()
    people_per_name = hard_frame.groupby(names)["true_person_key"].nunique()
    assert (people_per_name > 1).sum() >= 20


def test_hard_records_are_reproducible(ve_pack):
    args = {"pack": ve_pack.manifest, "gazetteer_places": ve_pack.places, "n_records": 200}
    first = hard_records(**args, seed=3)
    assert first.equals(hard_records(**args, seed=3))
    assert not first.equals(hard_records(**args, seed=4))


def test_hard_noise_can_be_turned_down(ve_pack):
    clean = HardNoise(id_missing=0.0, id_typo=0.0, id_transposed=0.0)
    frame = hard_records(
        pack=ve_pack.manifest, gazetteer_places=ve_pack.places, n_records=300, seed=1, noise=clean
    )
    assert (frame["national_id"] != "").all()


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (PartialDate.day(2024, 8, 15), "2024-08-15"),
        (PartialDate.month(2024, 8), "2024-08"),
        (PartialDate.range(date(2024, 8, 11), date(2024, 8, 20), True), "2024-08"),
        (PartialDate.range(date(2024, 1, 1), date(2024, 4, 30)), "2024"),
        (PartialDate.range(date(2024, 12, 1), date(2025, 1, 30)), ""),
    ],
)
def test_iso_partial_writes_what_a_range_spans(value, text):
    assert iso_partial(value) == text
