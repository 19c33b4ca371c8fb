from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _restore_search_index(using: str = "default", **kwargs: Any) -> None:
    """A later migration that rebuilds a searched SQLite table drops its triggers."""
    from testigo.core.search_index import ensure_search_index

    ensure_search_index(connections[using])


class CoreConfig(AppConfig):
    name = "testigo.core"
    label = "core"
    verbose_name = _("Record")

    def ready(self) -> None:
        post_migrate.connect(_restore_search_index, sender=self)
