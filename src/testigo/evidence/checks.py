"""`testigo check --deploy` warnings about how the evidence key is kept."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Warning, register

from testigo.blobstore import BlobStoreError


@register(deploy=True)
def evidence_key_checks(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from testigo.evidence.store import evidence_config

    try:
        config = evidence_config()
    except BlobStoreError as exc:
        return [Warning(str(exc), id="testigo.evidence.W001")]
    if config.uses_demo_passphrase:
        return [
            Warning(
                "The evidence master key's passphrase is the demo one, kept in "
                f"{config.demo_passphrase_file} on this machine.",
                hint="Move it to separate media and set TESTIGO_EVIDENCE_PASSPHRASE_FILE; "
                "keep a recovery copy offline (testigo evidence keys export-recovery).",
                id="testigo.evidence.W002",
            )
        ]
    return []
