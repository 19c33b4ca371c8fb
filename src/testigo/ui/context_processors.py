"""What every staff page needs to decide which links to show."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from testigo.accounts.permissions import capabilities_of


def ui(request: HttpRequest) -> dict[str, Any]:
    caps = capabilities_of(request.user)
    return {"perms_ui": {cap.value: True for cap in caps}}
