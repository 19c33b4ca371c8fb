"""The Fellegi–Sunter model for Venezuelan person records, as Splink comparisons.

Each comparison reads the feature columns of `testigo.linkage.prepare`; levels go from the most
to the least specific, and Splink estimates a match weight for each. SQL is generated per dialect
(DuckDB or Spark) from the dialect's own function names.

* Given names: exact (term-frequency adjusted, so "José" counts less than "Yorman"); first name
  equal with the second missing or an initial of it; same phonetic key; one typo; first name equal
  but the second differs; a name used alone that is the other's second name; initial only.
* Surnames, in any order, one missing: both equal (TF on the pair); first equal and the other
  side has one surname (TF on it); both equal by sound; one equal by sound and one typo; one
  shared and the other side has only one; one shared and the others differ; one similar; else.
* National ID: exact with compatible V/E prefixes; exact digits with conflicting prefixes; one
  edit; one transposition of adjacent digits.
* Birth: same day; day and month swapped; one part of the date wrong; consistent to the month;
  consistent to the year (a year-only date); consistent with an age at the event; within a year.
* Event date, sex, place (same municipality > same state, one municipality missing > same state).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz.distance import OSA
from splink.internals.comparison_creator import ComparisonCreator
from splink.internals.comparison_level_creator import ComparisonLevelCreator
from splink.internals.comparison_library import CustomComparison
from splink.internals.dialects import SplinkDialect

from .clustering import Exclusive

__all__ = [
    "birth_days_compatible",
    "comparisons",
    "exclusive_fields",
    "extra_comparisons",
    "national_ids_compatible",
]

SqlBuilder = Callable[[SplinkDialect], str]


class SqlLevel(ComparisonLevelCreator):
    """A comparison level whose SQL is built for the dialect in use."""

    def __init__(self, sql: str | SqlBuilder, label: str) -> None:
        self._sql = sql
        self._label = label

    def create_sql(self, sql_dialect: SplinkDialect) -> str:
        return self._sql(sql_dialect) if callable(self._sql) else self._sql

    def create_label_for_charts(self) -> str:
        return self._label


def _null(*columns: str) -> ComparisonLevelCreator:
    sql = " OR ".join(f"{c}_l IS NULL OR {c}_r IS NULL" for c in columns)
    return SqlLevel(sql, f"{' or '.join(columns)} missing").configure(is_null_level=True)


def _else() -> ComparisonLevelCreator:
    return SqlLevel("ELSE", "All other comparisons")


def _jw(a: str, b: str, threshold: float) -> SqlBuilder:
    return lambda d: f"{d.jaro_winkler_function_name}({a}, {b}) >= {threshold}"


def _tf(level: ComparisonLevelCreator, column: str) -> ComparisonLevelCreator:
    """Term-frequency adjust a level on ``column`` using the level's own u as the base."""
    return level.configure(tf_adjustment_column=column, disable_tf_exact_match_detection=True)


# Given names --------------------------------------------------------------------------------

# The second given names are compatible: equal, one missing, or one an initial of the other.
_SECOND_COMPATIBLE = (
    "(gn2_l IS NULL OR gn2_r IS NULL OR gn2_ph_l = gn2_ph_r"
    " OR (length(gn2_l) = 1 AND gn2_l = substr(gn2_r, 1, 1))"
    " OR (length(gn2_r) = 1 AND gn2_r = substr(gn2_l, 1, 1)))"
)


def given_names_comparison() -> ComparisonCreator:
    """Given names: variants, nicknames, initials, a dropped first or second name."""
    first_fuzzy = _jw("gn1_l", "gn1_r", 0.88)
    return CustomComparison(
        output_column_name="given_names",
        comparison_description="Given names (canonical, phonetic, initials)",
        comparison_levels=[
            _null("gn1"),
            SqlLevel("gn_l = gn_r", "All given names equal").configure(tf_adjustment_column="gn"),
            _tf(
                SqlLevel(
                    f"gn1_l = gn1_r AND {_SECOND_COMPATIBLE}",
                    "First given name equal, second compatible",
                ),
                "gn1",
            ),
            SqlLevel(
                f"gn1_ph_l = gn1_ph_r AND {_SECOND_COMPATIBLE}",
                "First given name sounds the same, second compatible",
            ),
            SqlLevel(
                lambda d: (
                    f"{first_fuzzy(d)} AND length(gn1_l) > 2 AND length(gn1_r) > 2"
                    f" AND {_SECOND_COMPATIBLE}"
                ),
                "First given name similar (typo), second compatible",
            ),
            _tf(SqlLevel("gn1_ph_l = gn1_ph_r", "First given name equal, second differs"), "gn1"),
            SqlLevel(
                "gn1_ph_l = gn2_ph_r OR gn2_ph_l = gn1_ph_r OR gn2_ph_l = gn2_ph_r",
                "A given name appears in both (first dropped or reordered)",
            ),
            SqlLevel(
                "(length(gn1_l) = 1 AND gn1_l = gn1_i_r)"
                " OR (length(gn1_r) = 1 AND gn1_r = gn1_i_l)",
                "Initial compatible",
            ),
            _else(),
        ],
    )


# Surnames -----------------------------------------------------------------------------------

_ONE_SIDE_SINGLE = "(sn2_l IS NULL OR sn2_r IS NULL)"
_PH_SHARED = (
    "(sn1_ph_l = sn1_ph_r OR sn1_ph_l = sn2_ph_r OR sn2_ph_l = sn1_ph_r OR sn2_ph_l = sn2_ph_r)"
)


def surnames_comparison() -> ComparisonCreator:
    """Up to two surnames in any order, one possibly missing, misspelt or heard wrong."""

    def one_exact_one_typo(d: SplinkDialect) -> str:
        jw = d.jaro_winkler_function_name
        pairs = (("sn1", "sn1", "sn2", "sn2"), ("sn2", "sn2", "sn1", "sn1"),
                 ("sn1", "sn2", "sn2", "sn1"), ("sn2", "sn1", "sn1", "sn2"))  # fmt: skip
        return " OR ".join(
            f"({a}_ph_l = {b}_ph_r AND {jw}({c}_l, {e}_r) >= 0.88)" for a, b, c, e in pairs
        )

    def one_similar(d: SplinkDialect) -> str:
        jw = d.jaro_winkler_function_name
        return (
            f"{jw}(sn1_l, sn1_r) >= 0.88 OR {jw}(sn1_l, sn2_r) >= 0.88"
            f" OR {jw}(sn2_l, sn1_r) >= 0.88"
        )

    return CustomComparison(
        output_column_name="surnames",
        comparison_description="Surnames in any order, one possibly missing",
        comparison_levels=[
            _null("sn1"),
            SqlLevel("sn_l = sn_r", "Both surnames equal (any order)").configure(
                tf_adjustment_column="sn"
            ),
            _tf(
                SqlLevel(
                    f"sn1_l = sn1_r AND {_ONE_SIDE_SINGLE}",
                    "First surname equal, the other side has only one",
                ),
                "sn1",
            ),
            SqlLevel(
                "(sn1_ph_l = sn1_ph_r AND sn2_ph_l = sn2_ph_r)"
                " OR (sn1_ph_l = sn2_ph_r AND sn2_ph_l = sn1_ph_r)",
                "Both surnames sound the same",
            ),
            SqlLevel(one_exact_one_typo, "One surname sounds the same, the other is similar"),
            SqlLevel(
                f"{_ONE_SIDE_SINGLE} AND {_PH_SHARED}",
                "A surname shared, the other side has only one",
            ),
            SqlLevel(_PH_SHARED, "A surname shared, the others differ"),
            SqlLevel(one_similar, "A surname similar"),
            _else(),
        ],
    )


# Other fields -------------------------------------------------------------------------------


def national_id_comparison() -> ComparisonCreator:
    """Cédula digits: exact (V/E prefixes compatible), exact with conflicting prefixes, one
    edit, one transposition."""
    compatible = "(nid_prefix_l IS NULL OR nid_prefix_r IS NULL OR nid_prefix_l = nid_prefix_r)"
    return CustomComparison(
        output_column_name="national_id",
        comparison_description="National identity number",
        comparison_levels=[
            _null("nid"),
            SqlLevel(f"nid_l = nid_r AND {compatible}", "Same number"),
            SqlLevel("nid_l = nid_r", "Same digits, different V/E prefix"),
            SqlLevel(
                lambda d: f"{d.levenshtein_function_name}(nid_l, nid_r) = 1",
                "One digit added, dropped or changed",
            ),
            SqlLevel(
                lambda d: f"{d.damerau_levenshtein_function_name}(nid_l, nid_r) = 1",
                "Two adjacent digits swapped",
            ),
            _else(),
        ],
    )


_OVERLAP = "b_lo_l <= b_hi_r AND b_lo_r <= b_hi_l"
_BOTH_DAYS = "b_prec_l = 'D' AND b_prec_r = 'D'"


def birth_comparison() -> ComparisonCreator:
    """Birth dates with precision: exact, swapped, one part wrong, consistent, near."""
    return CustomComparison(
        output_column_name="birth",
        comparison_description="Birth date (partial) or age at the event",
        comparison_levels=[
            _null("b_lo"),
            SqlLevel(f"{_BOTH_DAYS} AND b_lo_l = b_lo_r", "Same day"),
            SqlLevel(
                f"{_BOTH_DAYS} AND b_y_l = b_y_r AND b_d_l = b_m_r AND b_m_l = b_d_r",
                "Day and month swapped",
            ),
            SqlLevel(
                f"{_BOTH_DAYS} AND ((b_y_l = b_y_r AND (b_m_l = b_m_r OR b_d_l = b_d_r))"
                " OR (b_m_l = b_m_r AND b_d_l = b_d_r AND abs(b_y_l - b_y_r) <= 10))",
                "One part of the date differs",
            ),
            SqlLevel(
                f"{_OVERLAP} AND b_hi_l - b_lo_l <= 31 AND b_hi_r - b_lo_r <= 31",
                "Consistent to the month",
            ),
            SqlLevel(
                f"{_OVERLAP} AND b_prec_l <> 'A' AND b_prec_r <> 'A'",
                "Consistent to the year (a partial date)",
            ),
            SqlLevel(_OVERLAP, "Consistent with an age at the event"),
            SqlLevel("b_lo_l <= b_hi_r + 366 AND b_lo_r <= b_hi_l + 366", "Within a year"),
            _else(),
        ],
    )


def event_date_comparison() -> ComparisonCreator:
    """How close the reported events are (records of one event, or of one person's events)."""

    def within(days: int) -> str:
        return f"ev_lo_l <= ev_hi_r + {days} AND ev_lo_r <= ev_hi_l + {days}"

    return CustomComparison(
        output_column_name="event_date",
        comparison_description="Event date",
        comparison_levels=[
            _null("ev_lo"),
            SqlLevel("ev_lo_l = ev_hi_l AND ev_lo_r = ev_hi_r AND ev_lo_l = ev_lo_r", "Same day"),
            SqlLevel(within(0), "Same period (a date known to the month or year)"),
            SqlLevel(within(7), "Within a week"),
            SqlLevel(within(62), "Within two months"),
            _else(),
        ],
    )


def sex_comparison() -> ComparisonCreator:
    return CustomComparison(
        output_column_name="sex",
        comparison_description="Sex",
        comparison_levels=[_null("sex"), SqlLevel("sex_l = sex_r", "Same sex"), _else()],
    )


def place_comparison() -> ComparisonCreator:
    """Place hierarchy: same municipality > same state with a municipality missing > same state."""
    return CustomComparison(
        output_column_name="place",
        comparison_description="State and municipality",
        comparison_levels=[
            _null("st"),
            SqlLevel("mu_l = mu_r", "Same municipality").configure(tf_adjustment_column="mu"),
            _tf(
                SqlLevel(
                    "st_l = st_r AND (mu_l IS NULL OR mu_r IS NULL)",
                    "Same state, a municipality missing",
                ),
                "st",
            ),
            SqlLevel("st_l = st_r", "Same state, different municipality"),
            _else(),
        ],
    )


def extra_comparisons(columns: Sequence[str]) -> list[ComparisonCreator]:
    """Generic comparisons for extra text columns (exact, then Jaro-Winkler 0.92 and 0.8)."""
    found: list[ComparisonCreator] = []
    for column in columns:
        found.append(
            CustomComparison(
                output_column_name=column,
                comparison_description=f"Extra column {column}",
                comparison_levels=[
                    _null(column),
                    SqlLevel(f"{column}_l = {column}_r", f"{column} equal"),
                    SqlLevel(_jw(f"{column}_l", f"{column}_r", 0.92), f"{column} very similar"),
                    SqlLevel(_jw(f"{column}_l", f"{column}_r", 0.8), f"{column} similar"),
                    _else(),
                ],
            )
        )
    return found


def comparisons(extra_columns: Sequence[str] = ()) -> list[ComparisonCreator]:
    """All comparisons of the domain model, plus generic ones for ``extra_columns``."""
    return [
        given_names_comparison(),
        surnames_comparison(),
        national_id_comparison(),
        birth_comparison(),
        event_date_comparison(),
        sex_comparison(),
        place_comparison(),
        *extra_comparisons(extra_columns),
    ]


# One person, one number, one birthday ---------------------------------------------------------


def national_ids_compatible(a: str, b: str) -> bool:
    """Equal, or one edit or one swap of adjacent digits apart (a typo)."""
    return a == b or OSA.distance(a, b) <= 1


def birth_days_compatible(a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
    """Equal, day and month swapped, or only one of year, month, day differs (a typo)."""
    if a == b:
        return True
    if a[0] == b[0] and a[1] == b[2] and a[2] == b[1]:
        return True
    return sum(x == y for x, y in zip(a, b, strict=True)) >= 2


def exclusive_fields(features: pd.DataFrame, *, override: float = 0.99) -> list[Exclusive]:
    """The fields a person has only one of, for clustering: identity number, birth day."""
    day = (features["b_prec"] == "D").to_numpy()
    y, m, d = (features[c].to_numpy(dtype=float, na_value=np.nan) for c in ("b_y", "b_m", "b_d"))
    births: list[Any] = [
        (int(y[i]), int(m[i]), int(d[i])) if day[i] else None for i in range(len(features))
    ]
    nids = features["nid"].to_numpy(dtype=object)
    return [
        Exclusive(list(nids), national_ids_compatible, override),
        Exclusive(births, birth_days_compatible, override),
    ]
