"""The `testigo` command: a thin front over Django's management commands.

`testigo demo`, `testigo audit verify`, `testigo import …` and every Django command
(`testigo migrate`, `testigo createsuperuser`, …) go through here.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Run a Testigo or Django management command."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "testigo.config.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    execute_from_command_line(["testigo", *args])


if __name__ == "__main__":
    main()
