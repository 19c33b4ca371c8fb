"""The synthetic demo generator: reproducible, exactly sized, calibrated and realistically messy."""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import unicodedata
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from testigo.demo.generator import (
    ACT_TYPES,
    DATE_FORMATS,
    DETENTION_STATUSES,
    FEMALE_GIVEN_NAMES,
    MALE_GIVEN_NAMES,
    MAX_SOURCES_PER_EVENT,
    RAW_COLUMNS,
    SURNAMES,
    DemoDataset,
    format_date,
    generate,
)

REPO = Path(__file__).resolve().parents[2]
VE_DIR = REPO / "src" / "testigo" / "countrypacks" / "packs" / "ve"
XX_DIR = REPO / "tests" / "fixtures" / "packs" / "xx"

_ES = "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre"
_ES_ABBR = r"ene|feb|mar|abr|may|jun|jul|ago|sep|oct|nov|dic"
_EN = "January|February|March|April|May|June|July|August|September|October|November|December"
SUPPORTED_DATE = re.compile(
    "|".join(
        (
            r"\d{2}/\d{2}/\d{4}",
            r"\d{2}-\d{2}-\d{4}",
            r"\d{4}-\d{2}-\d{2}",
            rf"(?:{_ES}) \d{{4}}",
            rf"(?:{_ES_ABBR})\. \d{{4}}",
            rf"\d{{1,2}} de (?:{_ES}) de \d{{4}}",
            rf"(?:principios|mediados|finales) de (?:{_ES}) de \d{{4}}",
            r"\d{2}/\d{4}",
            r"\d{4}",
            rf"(?:{_EN}) \d{{1,2}}, \d{{4}}",
            rf"mid (?:{_EN}) \d{{4}}",
        )
    )
)
CEDULA_FORMS = {
    "dotted": re.compile(r"[VE]-\d{1,3}(?:\.\d{3})*"),
    "lower": re.compile(r"[ve]\d{1,8}"),
    "ci": re.compile(r"C\.I\. \d{1,3}(?:\.\d{3})*"),
    "plain": re.compile(r"\d{1,8}"),
}


def _load(directory: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    pack = json.loads((directory / "pack.json").read_text(encoding="utf-8"))
    gazetteer = json.loads((directory / pack["gazetteer"]).read_text(encoding="utf-8"))
    return pack, gazetteer["places"]


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@pytest.fixture(scope="module")
def ve() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    return _load(VE_DIR)


@pytest.fixture(scope="module")
def dataset(ve: tuple[dict[str, Any], list[dict[str, Any]]]) -> DemoDataset:
    pack, places = ve
    return generate(pack=pack, gazetteer_places=places, n_records=20_000, seed=2024)


@pytest.fixture(scope="module")
def documented(dataset: DemoDataset) -> list[Any]:
    keys = dataset.documented_event_keys()
    return [event for event in dataset.events if event.event_key in keys]


# Reproducibility and shape --------------------------------------------------------------------


def test_the_same_seed_gives_equal_output(ve: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    pack, places = ve
    first = generate(pack=pack, gazetteer_places=places, n_records=3000, seed=11)
    second = generate(pack=pack, gazetteer_places=places, n_records=3000, seed=11)
    assert first == second


def test_another_seed_gives_different_output(
    ve: tuple[dict[str, Any], list[dict[str, Any]]],
) -> None:
    pack, places = ve
    first = generate(pack=pack, gazetteer_places=places, n_records=500, seed=11)
    second = generate(pack=pack, gazetteer_places=places, n_records=500, seed=12)
    assert [r.raw for r in first.records] != [r.raw for r in second.records]


def test_output_does_not_depend_on_the_hash_seed_of_the_process() -> None:
    code = (
        "import hashlib, json, sys\n"
        "from pathlib import Path\n"
        "from testigo.demo.generator import generate\n"
        f"d = Path({str(VE_DIR)!r})\n"
        "pack = json.loads((d / 'pack.json').read_text(encoding='utf-8'))\n"
        "places = json.loads((d / 'gazetteer.json').read_text(encoding='utf-8'))['places']\n"
        "ds = generate(pack=pack, gazetteer_places=places, n_records=1500, seed=5)\n"
        "print(hashlib.sha256(repr(ds).encode()).hexdigest())\n"
    )
    digests = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True)  # fmt: skip
        digests.add(out.stdout.strip())
    assert len(digests) == 1


@pytest.mark.parametrize("n_records", [0, 1, 137, 5000])
def test_it_produces_exactly_the_requested_number_of_records(
    ve: tuple[dict[str, Any], list[dict[str, Any]]], n_records: int
) -> None:
    pack, places = ve
    assert len(generate(pack=pack, gazetteer_places=places, n_records=n_records).records) == (
        n_records
    )


def test_every_record_points_to_an_existing_true_person_and_event(dataset: DemoDataset) -> None:
    persons = {p.person_key for p in dataset.persons}
    events = {e.event_key: e for e in dataset.events}
    sources = {s.key for s in dataset.sources}
    assert len(persons) == len(dataset.persons)
    assert len(events) == len(dataset.events)
    for record in dataset.records:
        assert record.true_person_key in persons
        assert events[record.event_key].person_key == record.true_person_key
        assert record.source_key in sources
    for event in dataset.events:
        assert event.person_key in persons


def test_truth_rows_map_each_record_key_to_its_true_person(dataset: DemoDataset) -> None:
    rows = dataset.to_truth_rows()
    assert len(rows) == len(dataset.records)
    assert len({key for key, _ in rows}) == len(rows)
    assert rows[0] == (dataset.records[0].record_key, dataset.records[0].true_person_key)


def test_rows_are_numbered_from_one_within_each_source(dataset: DemoDataset) -> None:
    rows: dict[str, list[int]] = defaultdict(list)
    for record in dataset.records:
        rows[record.source_key].append(record.row)
    for numbers in rows.values():
        assert numbers == list(range(1, len(numbers) + 1))


def test_events_use_the_vocabulary_and_pack_codes(
    dataset: DemoDataset, ve: tuple[dict[str, Any], list[dict[str, Any]]]
) -> None:
    pack, places = ve
    place_codes = {p["code"] for p in places}
    bodies = {b["code"] for b in pack["perpetrator_bodies"]}
    facilities = {f["code"] for f in pack["detention_facilities"]}
    for event in dataset.events:
        assert event.act_type in ACT_TYPES
        assert event.place_code in place_codes
        assert event.perpetrator_body in bodies
        assert event.facility is None or event.facility in facilities
        assert event.detention_status is None or event.detention_status in DETENTION_STATUSES
    for person in dataset.persons:
        assert person.state_code in place_codes
        assert person.sex in {"M", "F"}


def test_the_summary_is_small_and_json_ready(dataset: DemoDataset) -> None:
    summary = dataset.summary()
    json.dumps(summary)
    assert summary["records"] == 20_000
    assert sum(summary["records_by_source"].values()) == 20_000
    assert set(summary["events_by_act_type"]) == set(ACT_TYPES)
    assert summary["persons"] <= summary["persons_total"]


def test_the_generator_never_imports_django() -> None:
    code = "import sys, testigo.demo.generator; print('django' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# Calibration (DOMAIN.md §3.6) -----------------------------------------------------------------


def test_20_000_records_describe_thousands_of_victims_and_about_two_thousand_detentions(
    dataset: DemoDataset, documented: list[Any]
) -> None:
    acts = Counter(event.act_type for event in documented)
    assert 1_900 <= acts["arbitrary_detention"] <= 2_900
    assert 12 <= acts["killing"] <= 50
    assert 7_000 <= len(documented) <= 12_000
    assert 5_500 <= len({r.true_person_key for r in dataset.records}) <= 10_000


def test_killings_are_concentrated_in_the_protests_of_28_to_30_july(documented: list[Any]) -> None:
    killings = [e for e in documented if e.act_type == "killing"]
    in_protests = [e for e in killings if date(2024, 7, 28) <= e.date <= date(2024, 7, 30)]
    assert len(in_protests) >= 0.7 * len(killings)


def test_arrests_peak_after_the_election_and_spike_again_around_10_january(
    documented: list[Any],
) -> None:
    arrests = [e.date for e in documented if e.act_type == "arbitrary_detention"]
    peak = sum(date(2024, 7, 29) <= d <= date(2024, 8, 15) for d in arrests)
    assert peak >= 0.55 * len(arrests)
    assert min(arrests) >= date(2024, 7, 28)
    january = sum(date(2025, 1, 3) <= d <= date(2025, 1, 17) for d in arrests)
    december = sum(date(2024, 12, 3) <= d <= date(2024, 12, 17) for d in arrests)
    assert january > 2 * max(december, 1)


def test_detainees_are_mostly_men_with_few_minors_and_some_military(dataset: DemoDataset) -> None:
    summary = dataset.summary()
    assert 0.84 <= summary["detained_share_men"] <= 0.93
    assert 0.02 <= summary["detained_share_minors"] <= 0.055
    assert 0.05 <= summary["detained_share_military"] <= 0.11


def test_detentions_cluster_in_the_states_the_pack_weights_most(
    documented: list[Any], ve: tuple[dict[str, Any], list[dict[str, Any]]]
) -> None:
    weights = ve[0]["demo"]["state_weights"]
    parents = {p["code"]: p["parent"] for p in ve[1]}

    def state(code: str) -> str:
        while parents[code] is not None:
            code = parents[code]
        return code

    counts = Counter(state(e.place_code) for e in documented if e.act_type == "arbitrary_detention")
    heavy = [s for s, w in weights.items() if w >= 8]
    light = [s for s, w in weights.items() if 0 < w <= 1]
    assert min(counts[s] for s in heavy) > max(counts[s] for s in light)
    assert counts["VE-W"] == 0


def test_detentions_name_pack_facilities_and_some_killings_name_colectivos(
    documented: list[Any],
) -> None:
    detentions = [e for e in documented if e.act_type == "arbitrary_detention"]
    facilities = Counter(e.facility for e in detentions)
    assert len(facilities) >= 10
    assert 0.2 <= facilities[None] / len(detentions) <= 0.6
    killers = Counter(e.perpetrator_body for e in documented if e.act_type == "killing")
    assert killers["COLECTIVOS"] >= 1


def test_each_event_is_documented_by_one_to_four_sources_with_real_overlap(
    dataset: DemoDataset,
) -> None:
    sources: dict[str, set[str]] = defaultdict(set)
    for record in dataset.records:
        sources[record.event_key].add(record.source_key)
    sizes = Counter(len(s) for s in sources.values())
    assert max(sizes) <= MAX_SOURCES_PER_EVENT
    share_single = sizes[1] / len(sources)
    assert 0.3 <= share_single <= 0.65
    assert sizes[3] + sizes[4] >= 0.1 * len(sources)
    # Capture is heterogeneous: sources differ in how much of each act type they see.
    by_source = Counter(r.source_key for r in dataset.records)
    assert max(by_source.values()) > 2 * min(by_source.values())


def test_names_repeat_across_people_with_a_skewed_frequency(dataset: DemoDataset) -> None:
    assert len(MALE_GIVEN_NAMES) + len(FEMALE_GIVEN_NAMES) >= 150
    assert len(SURNAMES) >= 150
    for names in (MALE_GIVEN_NAMES, FEMALE_GIVEN_NAMES, SURNAMES):
        assert len(names) == len(set(names))
    assert {"José Gregorio", "Yeferson"} <= set(MALE_GIVEN_NAMES)
    assert {"María del Valle", "Yusmary"} <= set(FEMALE_GIVEN_NAMES)
    assert {"De La Cruz", "De Freitas"} <= set(SURNAMES)
    first_surnames = Counter(p.surnames[0] for p in dataset.persons)
    top = [name for name, _ in first_surnames.most_common(3)]
    assert set(top) <= {"González", "Rodríguez", "Pérez", "Hernández", "García", "Martínez"}
    assert first_surnames.most_common(1)[0][1] > 0.04 * len(dataset.persons)
    full_names = Counter((p.given_names, p.surnames) for p in dataset.persons)
    assert sum(1 for n in full_names.values() if n > 1) >= 20


def test_national_ids_are_unique_and_rise_with_birth_year(dataset: DemoDataset) -> None:
    ids = [p.national_id for p in dataset.persons if p.national_id]
    assert len(ids) == len(set(ids))

    def median_for(first: int, last: int) -> float:
        return statistics.median(
            int(p.national_id[1:])
            for p in dataset.persons
            if p.national_id and p.national_id[0] == "V" and p.birth_date
            and first <= p.birth_date.year <= last
        )  # fmt: skip

    assert 12_500_000 <= median_for(1979, 1981) <= 16_500_000
    assert 22_500_000 <= median_for(1994, 1996) <= 26_500_000
    assert median_for(2005, 2010) >= 30_000_000
    foreign = [int(i[1:]) for i in ids if i.startswith("E")]
    assert foreign
    assert all(80_000_000 <= n <= 89_999_999 for n in foreign)


# Messiness ------------------------------------------------------------------------------------


def test_raw_rows_use_only_the_documented_columns_and_strings(dataset: DemoDataset) -> None:
    styles: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for record in dataset.records:
        assert set(record.raw) <= set(RAW_COLUMNS)
        assert all(isinstance(v, str) for v in record.raw.values())
        has_full = "nombre_completo" in record.raw
        assert has_full != ("nombres" in record.raw and "apellidos" in record.raw)
        styles[record.source_key].add(tuple(record.raw))
    assert all(len(column_sets) == 1 for column_sets in styles.values())
    assert len({next(iter(s)) for s in styles.values()}) >= 5  # sources differ in their columns


def test_every_date_is_written_in_a_format_the_parser_supports(dataset: DemoDataset) -> None:
    seen = set()
    for record in dataset.records:
        for column in ("fecha_hecho", "fecha_nacimiento"):
            value = record.raw.get(column, "")
            if value:
                assert SUPPORTED_DATE.fullmatch(value), value
                seen.add(value)
    assert any(v.startswith(("principios", "mediados", "finales")) for v in seen)
    assert any(v.startswith("mid ") for v in seen)
    assert any(". " in v for v in seen)


def test_the_date_parser_reads_every_emitted_date_format() -> None:
    dates = pytest.importorskip("testigo.domain.dates")
    for fmt in DATE_FORMATS:
        for day in (date(2024, 8, 15), date(2025, 1, 1), date(2024, 12, 31)):
            if fmt == "mid_en" and not 11 <= day.day <= 20:
                continue
            text = format_date(day, fmt)
            parsed = dates.parse_partial_date(text)
            assert parsed.start <= day <= parsed.end, (fmt, text)


def test_national_ids_are_missing_in_about_40_percent_and_written_in_several_ways(
    dataset: DemoDataset,
) -> None:
    persons = {p.person_key: p for p in dataset.persons}
    with_column = [r for r in dataset.records if "cedula" in r.raw]
    missing = sum(1 for r in with_column if not r.raw["cedula"])
    assert 0.3 <= missing / len(with_column) <= 0.5
    forms: Counter[str] = Counter()
    mistyped = present = 0
    for record in with_column:
        text = record.raw["cedula"]
        if not text:
            continue
        present += 1
        form = next(name for name, rx in CEDULA_FORMS.items() if rx.fullmatch(text))
        forms[form] += 1
        digits = re.sub(r"\D", "", text)
        true_digits = re.sub(r"\D", "", persons[record.true_person_key].national_id or "")
        if digits != true_digits:
            mistyped += 1
            assert len(digits) == len(true_digits)
            assert sum(a != b for a, b in zip(digits, true_digits, strict=True)) == 1
    assert set(forms) == set(CEDULA_FORMS)
    assert 0.01 <= mistyped / present <= 0.06


def test_birth_dates_are_often_missing_or_only_a_year(dataset: DemoDataset) -> None:
    records = dataset.records
    no_birth_info = sum(
        1 for r in records if not r.raw.get("fecha_nacimiento") and not r.raw.get("edad")
    )
    assert 0.35 <= no_birth_info / len(records) <= 0.55
    births = [r.raw["fecha_nacimiento"] for r in records if r.raw.get("fecha_nacimiento")]
    year_only = sum(1 for b in births if re.fullmatch(r"\d{4}", b))
    assert 0.05 <= year_only / len(births) <= 0.25


def test_official_rows_are_upper_case_surnames_first_without_accents(
    dataset: DemoDataset,
) -> None:
    persons = {p.person_key: p for p in dataset.persons}
    official = [r for r in dataset.records if r.source_key == "SRC-02"]
    assert official
    surname_first = 0
    for record in official:
        name = record.raw["nombre_completo"]
        assert name == name.upper()
        assert name.count(",") == 1
        assert not re.search(r"[ÁÉÍÓÚÜáéíóú]", name)
        true_first = _fold(persons[record.true_person_key].surnames[0]).upper()
        surname_first += name.replace("Ñ", "N").startswith(true_first.split()[0])
    assert surname_first >= 0.8 * len(official)


def test_names_are_reported_with_typos_lost_accents_and_missing_or_swapped_surnames(
    dataset: DemoDataset,
) -> None:
    persons = {p.person_key: p for p in dataset.persons}
    exact = dropped = swapped = changed = 0
    split_rows = [r for r in dataset.records if "apellidos" in r.raw]
    for record in split_rows:
        person = persons[record.true_person_key]
        reported = record.raw["apellidos"]
        truth = " ".join(person.surnames)
        if reported == truth:
            exact += 1
        elif _fold(reported) == _fold(person.surnames[0]):
            dropped += 1
        elif _fold(reported) == _fold(" ".join(reversed(person.surnames))):
            swapped += 1
        elif _fold(reported) != _fold(truth):
            changed += 1
    assert exact > 0.4 * len(split_rows)
    assert dropped > 0.08 * len(split_rows)
    assert swapped >= 10
    assert changed >= 50  # typos, b/v s/z y/ll swaps and married names
    lawyer = [r for r in dataset.records if r.source_key == "SRC-03"]
    accented = sum(
        1 for r in lawyer if re.search(r"[áéíóú]", r.raw["nombres"] + r.raw["apellidos"])
    )
    assert accented > 0.3 * len(lawyer)


def test_state_names_come_with_and_without_prefixes_and_as_aliases(dataset: DemoDataset) -> None:
    states = Counter(r.raw["estado"] for r in dataset.records if r.raw.get("estado"))
    assert any(s.startswith("Edo. ") for s in states)
    assert any(s.startswith(("Estado ", "ESTADO ")) for s in states)
    assert "Vargas" in states or "VARGAS" in states
    assert "Caracas" in states


# Any pack -------------------------------------------------------------------------------------


def test_it_works_with_a_pack_that_has_no_demo_weights() -> None:
    pack, places = _load(XX_DIR)
    data = generate(pack=pack, gazetteer_places=places, n_records=400, seed=1)
    codes = {p["code"] for p in places}
    assert len(data.records) == 400
    for person in data.persons:
        assert re.fullmatch(r"X\d{6,9}", person.national_id or "")
        assert person.state_code in codes
    for event in data.events:
        assert event.place_code in codes
        assert event.perpetrator_body in {"XSP", "XRG"}
        assert event.facility in {None, "NORTH-GAOL"}
