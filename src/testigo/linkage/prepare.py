"""Turn §6 person records into the comparison features the linkage model reads.

Every value is normalised once per *distinct* value (names, dates and ids repeat a lot), with
the domain functions: `testigo.domain.names` for name units, `testigo.domain.national_ids` for
cédulas, `testigo.domain.dates` for partial dates and ages, and optionally a
`testigo.domain.places.Gazetteer` for states and municipalities.

Feature columns (all nullable):

* names: ``gn`` (all given units), ``gn1``/``gn2`` (first two given units, canonical, see
  `canonical_unit`), ``gn1_ph``/``gn2_ph`` (phonetic keys), ``gn1_i`` (initial), ``sn1``/``sn2``
  (own surnames in written order, a married "de X" left out), ``sn1_ph``/``sn2_ph``, ``sn``
  (both surnames in sorted order, for term frequencies of the pair), ``sn_any_ph`` (the first
  surname's key or, failing that, the second's), ``sn1_i`` (initial), ``gn1_fx``/``sn1_fx``/
  ``sn2_fx`` (phonetic keys with rare one-typo variants mapped to the common key, for blocking);
* ``sex`` ("M"/"F");
* ``nid`` (digits) and ``nid_prefix`` ("V", "E" or null when the list left it out);
  ``nid_hd``/``nid_tl`` (its first and last four digits, for numbers of six digits or more: a
  typo leaves one of them whole, for blocking);
* birth: ``b_lo``/``b_hi`` (first and last possible day, as days since 1970-01-01),
  ``b_prec`` ("D" day, "M" month, "Y" year, "R" range, "A" derived from an age at the event),
  ``b_y``/``b_m``/``b_d`` and ``b_day`` (for a day-precise date), ``b_year`` (the year when the
  interval lies in one calendar year), ``b_decade`` (1985 -> 198, when it lies in one decade);
* event: ``ev_lo``/``ev_hi`` (days), ``ev_day`` (the day, for a day-precise date), ``ev_wk``
  (its week: days since 1970-01-01 // 7), ``ev_ym`` ("2024-08" when within one month);
* place: ``st`` (state code or folded name) and ``mu`` (municipality code or "state|name").

Name fields: when ``family_names`` is blank and ``given_names`` holds three or more name units
(or a comma), the whole text is read as a full name (given names first, or "SURNAMES, GIVEN"
with a comma); the reverse case is read surnames first. One or two units stay in their field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from testigo.domain.dates import PartialDate, Precision, age_to_birth_range, parse_partial_date
from testigo.domain.names import (
    PARTICLES,
    NameParseError,
    PersonName,
    parse_full_name,
    split_names,
)
from testigo.domain.national_ids import (
    VENEZUELA,
    NationalIdError,
    NationalIdFormat,
    is_missing_marker,
    normalize_national_id,
)
from testigo.domain.places import Gazetteer
from testigo.domain.text import fold

from .schema import InputProblem
from .variants import canonical_unit, phonetic_key

__all__ = ["FEATURE_COLUMNS", "PreparedRecords", "prepare_records"]

FEATURE_COLUMNS = (
    "gn", "gn1", "gn2", "gn1_ph", "gn2_ph", "gn1_i",
    "sn", "sn1", "sn2", "sn1_ph", "sn2_ph", "sn_any_ph", "sn1_i", "gn1_fx", "sn1_fx", "sn2_fx",
    "sex", "nid", "nid_prefix", "nid_hd", "nid_tl",
    "b_lo", "b_hi", "b_prec", "b_y", "b_m", "b_d", "b_year", "b_decade", "b_day",
    "ev_lo", "ev_hi", "ev_day", "ev_wk", "ev_ym",
    "st", "mu",
)  # fmt: skip

_EPOCH = date(1970, 1, 1).toordinal()
_MAX_PROBLEMS = 50
_LEVEL_WORD = re.compile(
    r"^(?:estado|edo|municipio autonomo|municipio|mcpio|mpio|mun|state of|municipality of)\s+"
)
_SEX = {
    "m": "M", "masculino": "M", "hombre": "M", "h": "M", "male": "M", "masc": "M", "v": "M",
    "varon": "M", "f": "F", "femenino": "F", "mujer": "F", "female": "F", "fem": "F",
}  # fmt: skip


@dataclass
class PreparedRecords:
    """Features for the model (one row per record, ``uid`` = row position) and what was ignored."""

    features: pd.DataFrame
    problems: list[InputProblem] = field(default_factory=list)
    problem_count: int = 0


def _days(d: date) -> int:
    return d.toordinal() - _EPOCH


def _map_unique(values: pd.Series, func: Callable[[Any], Any]) -> pd.Series:
    """Apply ``func`` once per distinct non-null value."""
    present = values.dropna()
    if present.empty:
        return pd.Series([None] * len(values), index=values.index, dtype=object)
    uniques = pd.unique(present)
    lookup = {value: func(value) for value in uniques}
    mapped = values.map(lookup, na_action="ignore").astype(object)
    return mapped.where(values.notna(), None)


# Names ----------------------------------------------------------------------------------------

_NAME_COLUMNS = ("gn", "gn1", "gn2", "gn1_ph", "gn2_ph", "gn1_i",
                 "sn", "sn1", "sn2", "sn1_ph", "sn2_ph", "sn_any_ph")  # fmt: skip
_NO_GIVEN: tuple[Any, ...] = (None,) * 6
_NO_SURNAME: tuple[Any, ...] = (None,) * 6


def _given_features(units: tuple[str, ...]) -> tuple[Any, ...]:
    canon = [c for c in (canonical_unit(u) for u in units) if c]
    # A nickname can stand for two names ("Juanca" -> "juan carlos").
    canon = " ".join(canon).split()
    if not canon:
        return _NO_GIVEN
    gn1 = canon[0]
    gn2 = canon[1] if len(canon) > 1 else None
    return (
        " ".join(canon),
        gn1,
        gn2,
        phonetic_key(gn1),
        phonetic_key(gn2) if gn2 else None,
        gn1[0],
    )


def _surname_features(units: tuple[str, ...]) -> tuple[Any, ...]:
    canon = [c for c in (canonical_unit(u) for u in units) if c][:2]
    if not canon:
        return _NO_SURNAME
    sn1 = canon[0]
    sn2 = canon[1] if len(canon) > 1 else None
    ph1 = phonetic_key(sn1)
    ph2 = phonetic_key(sn2) if sn2 else None
    pair = " ".join(sorted(canon)) if sn2 else None
    return pair, sn1, sn2, ph1, ph2, ph1 or ph2


@lru_cache(maxsize=100_000)
def _ends_married(surnames: tuple[str, ...]) -> bool:
    """The last of two or more surnames is "de X" (a husband's name, or "de Freitas")."""
    if len(surnames) < 2:
        return False
    words = fold(surnames[-1]).split()
    return len(words) == 2 and words[0] == "de" and words[1] not in PARTICLES


def _read_field(text: str, *, given: bool) -> PersonName | str:
    """Read one name field on its own (its units are all given names, or all surnames)."""
    try:
        return split_names(text, "") if given else split_names("", text)
    except NameParseError as exc:
        return str(exc)


def _read_full(text: str, *, given_first: bool) -> PersonName | str:
    """Read a lone name field holding a whole name."""
    try:
        alone = split_names(text, "") if given_first else split_names("", text)
        if len(alone.given_names + alone.surnames) < 3 and "," not in text:
            return alone
        return parse_full_name(text, order="auto" if given_first else "surnames_first")
    except NameParseError as exc:
        return str(exc)


def _name_features(
    given: pd.Series, family: pd.Series, sex: pd.Series
) -> tuple[pd.DataFrame, list[tuple[int, str, str, str]]]:
    """Name features, parsing each distinct given-name and surname text once."""
    problems: list[tuple[int, str, str, str]] = []
    has_g = given.notna().to_numpy()
    has_f = family.notna().to_numpy()
    g_codes, g_texts = pd.factorize(given, use_na_sentinel=True)
    f_codes, f_texts = pd.factorize(family, use_na_sentinel=True)
    g_read = [_read_field(t, given=True) for t in g_texts]
    f_read = [_read_field(t, given=False) for t in f_texts]
    # One row per distinct text, plus a last row of blanks for missing values (code -1).
    g_table = [_NO_GIVEN if isinstance(r, str) else _given_cached(r.given_names) for r in g_read]
    f_table = [_NO_SURNAME if isinstance(r, str) else _surname_cached(r.surnames) for r in f_read]
    g_columns = np.array([*g_table, _NO_GIVEN], dtype=object).reshape(-1, 6)
    f_columns = np.array([*f_table, _NO_SURNAME], dtype=object).reshape(-1, 6)
    frame = pd.DataFrame(
        np.concatenate([g_columns[g_codes], f_columns[f_codes]], axis=1),
        columns=list(_NAME_COLUMNS),
        index=given.index,
    )
    g_bad = np.array([isinstance(r, str) for r in g_read] + [False])[g_codes]
    f_bad = np.array([isinstance(r, str) for r in f_read] + [False])[f_codes]
    f_married = np.array(
        [not isinstance(r, str) and _ends_married(r.surnames) for r in f_read] + [False]
    )[f_codes]
    lone = has_g ^ has_f
    female = sex.eq("F").to_numpy()
    special = np.flatnonzero(lone | ((g_bad | f_bad) & ~lone) | (f_married & ~lone))
    g_values = given.to_numpy(dtype=object)
    f_values = family.to_numpy(dtype=object)
    rows: dict[int, tuple[Any, ...]] = {}
    for i in special:
        if lone[i]:
            text = g_values[i] if has_g[i] else f_values[i]
            whole = _read_full(text, given_first=bool(has_g[i]))
            if isinstance(whole, str):
                problems.append((int(i), "given_names" if has_g[i] else "family_names", text,
                                 whole))  # fmt: skip
                rows[int(i)] = _NO_GIVEN + _NO_SURNAME
                continue
            given_part, surnames = whole.given_names, whole.surnames
            if whole.married_surname and len(surnames) > 1:
                surnames = surnames[:-1]
            rows[int(i)] = _given_cached(given_part) + _surname_cached(surnames)
            continue
        if g_bad[i] or f_bad[i]:
            column = "given_names" if g_bad[i] else "family_names"
            text = g_values[i] if g_bad[i] else f_values[i]
            reason = g_read[g_codes[i]] if g_bad[i] else f_read[f_codes[i]]
            problems.append((int(i), column, text, str(reason)))
            rows[int(i)] = _NO_GIVEN + _NO_SURNAME
            continue
        # Only the parser, seeing both fields, can tell "Pérez de González" (a husband's name)
        # from "Pérez de Freitas"; a record saying the person is a woman also decides.
        if female[i] or split_names(g_values[i], f_values[i]).married_surname:
            surnames = f_read[f_codes[i]].surnames[:-1]  # type: ignore[union-attr]
            rows[int(i)] = tuple(frame.iloc[i, :6]) + _surname_cached(surnames)
    if rows:
        positions = np.fromiter(rows, dtype=np.int64, count=len(rows))
        frame.iloc[positions, :] = np.array(list(rows.values()), dtype=object)
    return frame, problems


_GIVEN_CACHE: dict[tuple[str, ...], tuple[Any, ...]] = {}
_SURNAME_CACHE: dict[tuple[str, ...], tuple[Any, ...]] = {}


def _given_cached(units: tuple[str, ...]) -> tuple[Any, ...]:
    found = _GIVEN_CACHE.get(units)
    if found is None:
        if len(_GIVEN_CACHE) > 200_000:
            _GIVEN_CACHE.clear()
        found = _GIVEN_CACHE[units] = _given_features(units)
    return found


def _surname_cached(units: tuple[str, ...]) -> tuple[Any, ...]:
    found = _SURNAME_CACHE.get(units)
    if found is None:
        if len(_SURNAME_CACHE) > 200_000:
            _SURNAME_CACHE.clear()
        found = _SURNAME_CACHE[units] = _surname_features(units)
    return found


def _spelling_fixes(columns: list[pd.Series]) -> dict[str, str]:
    """Rare keys that are one typo away from a much more frequent key, mapped to it.

    "jzose" (seen once) becomes "jose" (seen 5,000 times), so that blocking on name keys
    survives a typo without looser rules. Two common names ("maria", "mario") stay apart: the
    key must be at least 20 times as frequent and the rare one seen only a few times.
    """
    counts = pd.concat(columns).dropna().value_counts()
    if counts.empty:
        return {}
    total = int(counts.sum())
    rare_limit = max(3, int(0.0002 * total))
    rare = counts[counts <= rare_limit]
    common = counts[counts >= 20]
    if rare.empty or common.empty:
        return {}
    common_keys = common.index.tolist()
    common_counts = common.to_numpy()
    distances = process.cdist(
        rare.index.tolist(), common_keys, scorer=OSA.distance, score_cutoff=1, dtype=np.int32
    )
    fixes: dict[str, str] = {}
    for row, (key, count) in enumerate(rare.items()):
        close = np.flatnonzero(distances[row] <= 1)
        close = close[common_counts[close] >= 20 * count]
        if close.size:
            fixes[str(key)] = str(common_keys[close[np.argmax(common_counts[close])]])
    return fixes


# Identity numbers -----------------------------------------------------------------------------


def _national_id(text: str, fmt: NationalIdFormat) -> tuple[str | None, str | None] | str:
    if is_missing_marker(text):
        return (None, None)
    try:
        nid = normalize_national_id(text, fmt)
    except NationalIdError as exc:
        return str(exc)
    return (nid.digits, nid.prefix)


# The common plain forms ("12345678", "V-12.345.678", "v12345678"), read without the general
# parser. A test checks that they give what `normalize_national_id` gives.
_PLAIN_ID = re.compile(r"^(?P<prefix>[A-Za-z])?-?(?P<digits>[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)$")


def _national_ids(values: pd.Series, fmt: NationalIdFormat) -> pd.Series:
    """(digits, prefix) per value, None when blank, or the reason it cannot be read."""
    text = values.astype("string").str.strip()
    parts = text.str.extract(_PLAIN_ID)
    digits = parts["digits"].str.replace(".", "", regex=False).str.lstrip("0")
    prefix = parts["prefix"].str.upper()
    plain = (
        parts["digits"].notna()
        & digits.str.len().between(max(fmt.min_digits, 1), fmt.max_digits)
        & (prefix.isna() | prefix.isin(fmt.prefixes))
    ).fillna(False)
    result = np.full(len(values), None, dtype=object)
    fast = plain.to_numpy(dtype=bool)
    fast_digits = digits.to_numpy(dtype=object, na_value=None)
    fast_prefix = prefix.to_numpy(dtype=object, na_value=None)
    for i in fast.nonzero()[0]:
        result[i] = (fast_digits[i], fast_prefix[i])
    rest = values.notna().to_numpy() & ~fast
    if rest.any():
        result[rest] = _map_unique(values[rest], lambda t: _national_id(t, fmt)).to_numpy()
    return pd.Series(result, index=values.index, dtype=object)


# Dates ----------------------------------------------------------------------------------------


def _partial_date(text: str) -> PartialDate | str:
    try:
        return PartialDate.from_edtf(text)
    except ValueError:
        pass
    try:
        return parse_partial_date(text, dayfirst=True)
    except ValueError as exc:
        return str(exc)


_PRECISION_CODE = {Precision.DAY: "D", Precision.MONTH: "M", Precision.YEAR: "Y"}


def _date_tuple(value: PartialDate) -> tuple[int, int, str]:
    return _days(value.start), _days(value.end), _PRECISION_CODE.get(value.precision, "R")


def _date_info(text: str) -> tuple[int, int, str] | str:
    """(first day, last day, precision code) of a date text, or why it cannot be read."""
    value = _partial_date(text)
    return value if isinstance(value, str) else _date_tuple(value)


def _birth_from_age(age: int, at: tuple[int, int, str]) -> tuple[int, int, str]:
    """Birth interval of someone ``age`` years old at some day of ``at`` (day numbers)."""
    start = date.fromordinal(at[0] + _EPOCH)
    end = date.fromordinal(at[1] + _EPOCH)
    born = age_to_birth_range(int(age), PartialDate.range(start, end))
    return _days(born.start), _days(born.end), "A"


def _age(text: str) -> int | None:
    try:
        age = int(float(text))
    except ValueError:
        return None
    return age if 0 <= age <= 120 else None


def _age_reference(event: pd.Series, source: pd.Series) -> pd.Series:
    """For an age stated without an event date: the span of the source's event dates.

    The middle half of the source's dated rows (or of all rows) is the period the ages refer to.
    """
    starts = pd.Series(
        [v[0] if isinstance(v, tuple) else np.nan for v in event], index=event.index, dtype=float
    )

    def span(values: pd.Series) -> tuple[int, int, str] | None:
        values = values.dropna()
        if values.empty:
            return None
        low, high = np.quantile(values, [0.25, 0.75])
        return int(low), int(high), "R"

    overall = span(starts)
    by_source = {key: span(group) for key, group in starts.groupby(source.to_numpy())}
    return pd.Series(
        [by_source.get(key) or overall for key in source], index=event.index, dtype=object
    )


# Places ---------------------------------------------------------------------------------------


def _place_key(text: str) -> str | None:
    key = _LEVEL_WORD.sub("", fold(text))
    return key or None


def _place_features(
    state: pd.Series, municipality: pd.Series, gazetteer: Gazetteer | None
) -> tuple[pd.Series, pd.Series]:
    """State and municipality keys: gazetteer codes when a gazetteer is given and the text
    resolves, else the folded text without level words ("Edo.", "Municipio")."""
    if gazetteer is None:
        st = _map_unique(state, _place_key)
        mu_name = _map_unique(municipality, _place_key)
        mu = (st.fillna("?") + "|" + mu_name).where(mu_name.notna(), None)
        return st, mu

    # Exact names and aliases first; the fuzzy search only for the rest.
    exact: dict[tuple[str, str], list[tuple[str, str | None]]] = {}
    for place in gazetteer:
        for name in dict.fromkeys((place.name, *place.aliases)):
            key = _place_key(name)
            if key:
                exact.setdefault((place.level, key), []).append((place.code, place.parent_code))

    def resolve_state(text: str) -> str | None:
        found = exact.get(("state", _place_key(text) or ""), [])
        if len(found) == 1:
            return found[0][0]
        match = gazetteer.resolve(text, level="state")
        if match is not None:
            return match.place.code
        # Lists misspell states too ("Zluia", "Estdo Sucre"): take a clear best guess.
        words = fold(text).split()
        if len(words) > 1 and max(fuzz.ratio(words[0], w) for w in ("estado", "edo")) >= 60:
            words = words[1:]
        found = gazetteer.candidates(" ".join(words), level="state", limit=2)
        if found:
            best, margin = found[0].score, found[0].score - (found[1].score if found[1:] else 0)
            if best >= 80 or (best >= 70 and margin >= 10):
                return found[0].place.code
        return None

    st_code = _map_unique(state, resolve_state)
    keys = pd.DataFrame({"s": st_code.fillna("\x00"), "m": municipality.fillna("\x00")})
    lookup: dict[tuple[str, str], str | None] = {}
    for s_code, m in keys.drop_duplicates().itertuples(index=False):
        if m == "\x00":
            continue
        within = s_code if s_code in gazetteer else None
        found = exact.get(("municipality", _place_key(m) or ""), [])
        if within is not None:
            found = [f for f in found if f[1] == within]
        if len(found) == 1:
            lookup[(s_code, m)] = found[0][0]
            continue
        match = gazetteer.resolve(m, level="municipality", within=within)
        if match is None and within is not None:
            match = gazetteer.resolve(m, level="municipality")
        lookup[(s_code, m)] = match.place.code if match else None
    mu_code = pd.Series(
        [lookup.get(key) for key in keys.itertuples(index=False, name=None)],
        index=state.index,
        dtype=object,
    )
    parent = {}
    for code in set(mu_code.dropna()):
        ancestors = gazetteer.ancestors(code)
        parent[code] = ancestors[0].code if ancestors else None
    # A municipality that resolved tells the state when the state text did not.
    st = st_code.where(st_code.notna(), mu_code.map(parent))
    st = st.where(st.notna(), _map_unique(state, _place_key))
    mu_text = _map_unique(municipality, _place_key)
    mu = mu_code.where(mu_code.notna(), (st.fillna("?") + "|" + mu_text))
    return st, mu.where(municipality.notna(), None)


# The whole table ------------------------------------------------------------------------------


def prepare_records(
    records: pd.DataFrame,
    *,
    gazetteer: Gazetteer | None = None,
    id_format: NationalIdFormat = VENEZUELA,
) -> PreparedRecords:
    """Compute the feature columns for records already checked by `validate_records`.

    Unreadable names, identity numbers, dates and ages are left blank and listed in
    ``problems`` (the first 50; ``problem_count`` has the total).
    """
    n = len(records)
    raw_problems: list[tuple[int, str, str, str]] = []
    out = pd.DataFrame({"uid": np.arange(n, dtype=np.int64)})
    out["record_id"] = records["record_id"].astype(str).to_numpy()
    source = records["source"]
    out["source"] = source.where(source.notna(), "").astype(str).to_numpy()

    sex = _map_unique(records["sex"], lambda s: _SEX.get(fold(s)))
    out["sex"] = sex.to_numpy()
    names, problems = _name_features(records["given_names"], records["family_names"], sex)
    raw_problems += problems
    for column in names.columns:
        out[column] = names[column].to_numpy()
    out["sn1_i"] = out["sn1"].str[0]
    gn_fix = _spelling_fixes([out["gn1_ph"]])
    sn_fix = _spelling_fixes([out["sn1_ph"], out["sn2_ph"]])
    out["gn1_fx"] = out["gn1_ph"].map(lambda k: gn_fix.get(k, k), na_action="ignore")
    out["sn1_fx"] = out["sn1_ph"].map(lambda k: sn_fix.get(k, k), na_action="ignore")
    out["sn2_fx"] = out["sn2_ph"].map(lambda k: sn_fix.get(k, k), na_action="ignore")

    ids = _national_ids(records["national_id"], id_format)
    bad_ids = ids.map(lambda v: isinstance(v, str))
    for position in bad_ids.to_numpy().nonzero()[0]:
        raw_problems.append(
            (int(position), "national_id", records["national_id"].iloc[position],
             ids.iloc[position])
        )  # fmt: skip
    good = ids.where(~bad_ids.astype(bool), None)
    out["nid"] = good.map(lambda v: v[0] if isinstance(v, tuple) else None).to_numpy()
    out["nid_prefix"] = good.map(lambda v: v[1] if isinstance(v, tuple) else None).to_numpy()
    out["nid_hd"] = [v[:4] if v is not None and len(v) >= 6 else None for v in out["nid"]]
    out["nid_tl"] = [v[-4:] if v is not None and len(v) >= 6 else None for v in out["nid"]]

    infos: dict[str, pd.Series] = {}
    for column in ("birth_date", "event_date"):
        info = _map_unique(records[column], _date_info)
        bad = info.map(lambda v: isinstance(v, str)).astype(bool)
        for position in bad.to_numpy().nonzero()[0]:
            raw_problems.append(
                (int(position), column, records[column].iloc[position], info.iloc[position])
            )
        infos[column] = info.where(~bad, None)
    birth, event = infos["birth_date"], infos["event_date"]
    ages = _map_unique(records["age"], _age)
    needs_age = (birth.isna() & ages.notna()).to_numpy()
    if needs_age.any():
        at = event.where(event.notna(), _age_reference(event, out["source"]))
        needs_age &= at.notna().to_numpy()
        keys = list(zip(ages[needs_age], at[needs_age], strict=True))
        derived = {key: _birth_from_age(*key) for key in set(keys)}
        birth = birth.astype(object)
        birth[needs_age] = pd.Series([derived[key] for key in keys], index=birth[needs_age].index,
                                     dtype=object)  # fmt: skip
    _spread(out, birth, ("b_lo", "b_hi", "b_prec"))
    year, month, day = _ymd(out["b_lo"])
    is_day = (out["b_prec"] == "D").to_numpy()
    out["b_y"] = pd.array(np.where(is_day, year, np.nan), dtype="Float64").astype("Int64")
    out["b_m"] = pd.array(np.where(is_day, month, np.nan), dtype="Float64").astype("Int64")
    out["b_d"] = pd.array(np.where(is_day, day, np.nan), dtype="Float64").astype("Int64")
    hi_year = _ymd(out["b_hi"])[0]
    out["b_year"] = pd.array(np.where(year == hi_year, year, np.nan), dtype="Float64").astype(
        "Int64"
    )
    decade, hi_decade = year // 10, hi_year // 10
    out["b_decade"] = pd.array(
        np.where(decade == hi_decade, decade, np.nan), dtype="Float64"
    ).astype("Int64")
    out["b_day"] = out["b_lo"].where(is_day)

    _spread(out, event, ("ev_lo", "ev_hi", "_ev_prec"))
    out["ev_day"] = out["ev_lo"].where((out["_ev_prec"] == "D").to_numpy())
    out["ev_wk"] = out["ev_day"] // 7
    ev_year, ev_month, _ = _ymd(out["ev_lo"])
    ev_end_year, ev_end_month, _ = _ymd(out["ev_hi"])
    one_month = (ev_year == ev_end_year) & (ev_month == ev_end_month)
    out["ev_ym"] = [
        f"{int(y):04d}-{int(m):02d}" if ok else None
        for y, m, ok in zip(ev_year, ev_month, one_month, strict=True)
    ]
    out = out.drop(columns="_ev_prec")

    st, mu = _place_features(records["state"], records["municipality"], gazetteer)
    out["st"] = st.to_numpy()
    out["mu"] = mu.to_numpy()

    problems_out = [
        InputProblem(row=position + 1, column=column, value=str(value), reason=reason)
        for position, column, value, reason in sorted(raw_problems)[:_MAX_PROBLEMS]
    ]
    for column in ("b_lo", "b_hi", "ev_lo", "ev_hi", "ev_day", "ev_wk"):
        out[column] = out[column].astype("Int64")
    return PreparedRecords(out, problems_out, len(raw_problems))


def _ymd(days: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month and day (floats, NaN where missing) of day numbers since 1970-01-01."""
    values = days.to_numpy(dtype=float, na_value=np.nan)
    missing = np.isnan(values)
    stamps = np.where(missing, 0, values).astype(np.int64).astype("datetime64[D]")
    months = stamps.astype("datetime64[M]")
    year = stamps.astype("datetime64[Y]").astype(np.int64) + 1970.0
    month = months.astype(np.int64) % 12 + 1.0
    day = (stamps - months).astype(np.int64) + 1.0
    return (
        np.where(missing, np.nan, year),
        np.where(missing, np.nan, month),
        np.where(missing, np.nan, day),
    )


def _spread(out: pd.DataFrame, tuples: pd.Series, columns: tuple[str, str, str]) -> None:
    present = tuples.notna().to_numpy()
    values = tuples.to_numpy()
    lo = np.full(len(tuples), np.nan)
    hi = np.full(len(tuples), np.nan)
    prec = np.full(len(tuples), None, dtype=object)
    if present.any():
        stacked = list(values[present])
        lo[present] = [t[0] for t in stacked]
        hi[present] = [t[1] for t in stacked]
        prec[present] = [t[2] for t in stacked]
    out[columns[0]] = pd.array(lo, dtype="Float64").astype("Int64")
    out[columns[1]] = pd.array(hi, dtype="Float64").astype("Int64")
    out[columns[2]] = prec
