"""Who may see which names. Protected persons are shown by pseudonym; a cleared user may
reveal one explicitly (audited), for the rest of the session."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from testigo.accounts.permissions import is_cleared
from testigo.core.models import Person, Record

SESSION_KEY = "testigo_revealed_persons"


class Viewer:
    """The identity rules for one request."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.user = request.user
        self.cleared = is_cleared(request.user)
        self._revealed = set(request.session.get(SESSION_KEY, []))

    def revealed(self, person: Person) -> bool:
        return self.cleared and person.pk in self._revealed

    def reveal(self, person: Person) -> None:
        self._revealed.add(person.pk)
        self.request.session[SESSION_KEY] = sorted(self._revealed)

    def shows_name_of(self, person: Person | None) -> bool:
        if person is None:
            # Unlinked source records are raw material for linkage: cleared staff only.
            return self.cleared
        return not person.protected or self.revealed(person)

    def person_label(self, person: Person) -> str:
        if self.shows_name_of(person) and person.full_name:
            return f"{person.full_name} ({person.pseudonym_code})"
        return person.pseudonym_code

    def record_label(self, record: Record) -> str:
        person = record.person
        if self.shows_name_of(person):
            name = " ".join(p for p in (record.given_names, record.surnames) if p)
            return name or _("(no name given)")
        if person is not None:
            return person.pseudonym_code
        return _("record %(id)s") % {"id": record.pk}

    def can_search_names(self) -> bool:
        return self.cleared


def viewer(request: HttpRequest) -> Viewer:
    cached: Any = getattr(request, "_testigo_viewer", None)
    if cached is None:
        cached = Viewer(request)
        request._testigo_viewer = cached  # type: ignore[attr-defined]
    return cached
