"""`testigo estimate --input histories.csv [--method lcmcr|loglinear] [--seed N] [--json]`.

File mode (DESIGN.md §6): multiple systems estimation on capture histories, no database needed.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from testigo.estimation import METHODS, HistoriesError, estimate


class Command(BaseCommand):
    help = (
        "Estimate the total number of people from capture histories (CSV: one 0/1 column per "
        "list plus 'count', or one row per person). LCMCR gives the posterior median and 95% "
        "credible interval; loglinear the maximum-likelihood estimate and 95% interval."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--input", required=True, help="capture histories CSV")
        parser.add_argument("--method", choices=METHODS, default="lcmcr")
        parser.add_argument("--seed", type=int, default=None, help="random seed (lcmcr)")
        parser.add_argument("--json", action="store_true", help="print the JSON result")
        parser.add_argument("--samples", type=int, help="lcmcr: posterior samples kept")
        parser.add_argument("--thinning", type=int, help="lcmcr: iterations between samples")
        parser.add_argument("--burnin", type=int, help="lcmcr: iterations discarded first")
        parser.add_argument("--K", type=int, dest="K", help="lcmcr: maximum latent classes")

    def handle(self, *args: Any, **options: Any) -> None:
        settings = {
            key: options[key]
            for key in ("samples", "thinning", "burnin", "K")
            if options.get(key) is not None and options["method"] == "lcmcr"
        }
        try:
            result = estimate(
                options["input"], method=options["method"], seed=options["seed"], **settings
            )
        except (HistoriesError, OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(result.to_json_dict()))
            return
        lower = "—" if result.lower is None else f"{result.lower:,.0f}"
        upper = "—" if result.upper is None else f"{result.upper:,.0f}"
        self.stdout.write(
            f"{result.method}: observed {result.observed:,}; estimated total "
            f"{result.estimate:,.0f} ({result.interval:.0%} interval {lower}–{upper})"
        )
        for warning in result.warnings:
            self.stderr.write(f"warning [{warning.code}]: {warning.message}")
