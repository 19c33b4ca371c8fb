"""Evidence items and their chain of custody (DESIGN.md §3 and §7).

The bytes live encrypted in the blob store, addressed by SHA-256; a row here is the acquisition
record and the links. Originals are never modified: a working copy (metadata stripped) is a new
item pointing to its original with the transformation, tool and version. Custody events are
append-only; both tables inherit soft delete, so nothing is ever removed.

What would identify a person or place (the original file name, from whom and with which device
it came, the extracted metadata with its GPS positions, custody parties and notes) is sealed in
the database (:mod:`testigo.evidence.fields`); hashes, sizes, media types and times are not.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from testigo.core.base import TestigoModel
from testigo.core.models import Case, Incident, Person, Source, Violation
from testigo.evidence.fields import SealedJSONField, SealedTextField


class Confidentiality(models.TextChoices):
    """Levels used by the ICC e-Court protocol (DESIGN.md §7)."""

    PUBLIC = "public", _("public")
    CONFIDENTIAL = "confidential", _("confidential")
    UNDER_SEAL = "under_seal", _("under seal")
    EX_PARTE = "ex_parte", _("ex parte")


class AcquisitionMethod(models.TextChoices):
    UPLOAD = "upload", _("uploaded by staff")
    HANDOVER = "handover", _("handed over in person")
    MESSAGING = "messaging", _("received through a messaging app")
    EMAIL = "email", _("received by email")
    OPEN_SOURCE = "open_source", _("collected from a public source")
    DEVICE = "device", _("extracted from a device")
    INTAKE = "intake", _("intake submission")
    DERIVED = "derived", _("derived from another item")
    OTHER = "other", _("other")


class EvidenceItem(TestigoModel):
    """One stored file: its hashes, its acquisition record, what it is linked to."""

    code = models.CharField(_("evidence ID"), max_length=16, unique=True, editable=False)
    sha256 = models.CharField("SHA-256", max_length=64, unique=True, editable=False)
    sha512 = models.CharField("SHA-512", max_length=128, editable=False)
    size = models.PositiveBigIntegerField(_("size in bytes"), editable=False)
    media_type = models.CharField(_("media type"), max_length=127, editable=False)
    original_name = SealedTextField(_("original file name"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    language = models.CharField(
        _("language"), max_length=35, blank=True, help_text=_("e.g. es, en, es-VE")
    )

    # Acquisition: from whom, by whom, when, how, with what.
    acquired_from = SealedTextField(_("acquired from"), max_length=300, blank=True)
    acquired_from_person = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="evidence_provided",
        verbose_name=_("acquired from (person)"),
    )
    acquired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="evidence_acquired",
        verbose_name=_("acquired by"),
    )
    acquired_by_label = models.CharField(
        max_length=150, blank=True, editable=False
    )  # the audit actor: a command run has no user, only os:<login>
    acquired_at = models.DateTimeField(_("acquired at"), default=timezone.now)
    acquisition_method = models.CharField(
        _("how it was acquired"),
        max_length=16,
        choices=AcquisitionMethod.choices,
        default=AcquisitionMethod.UPLOAD,
    )
    device = SealedTextField(_("device"), max_length=200, blank=True)
    acquisition_notes = SealedTextField(_("acquisition notes"), blank=True, multiline=True)

    metadata = SealedJSONField(_("extracted metadata"), blank=True)
    derived_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="derivatives",
        editable=False,
    )
    transformation = models.CharField(max_length=64, blank=True, editable=False)
    derivation = models.JSONField(
        default=dict, blank=True, editable=False
    )  # method, tool, tool_version, performed_at

    sources = models.ManyToManyField(Source, blank=True, related_name="evidence")
    incidents = models.ManyToManyField(Incident, blank=True, related_name="evidence")
    violations = models.ManyToManyField(Violation, blank=True, related_name="evidence")
    persons = models.ManyToManyField(Person, blank=True, related_name="evidence")
    cases = models.ManyToManyField(Case, blank=True, related_name="evidence")
    confidentiality = models.CharField(
        _("confidentiality"),
        max_length=16,
        choices=Confidentiality.choices,
        default=Confidentiality.CONFIDENTIAL,
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("evidence item")
        verbose_name_plural = _("evidence items")
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^EV-[0-9]{6,}$"), name="evidence_code_format"
            ),
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="evidence_sha256_hex"
            ),
            models.CheckConstraint(
                condition=Q(sha512__regex=r"^[0-9a-f]{128}$"), name="evidence_sha512_hex"
            ),
            models.CheckConstraint(
                condition=Q(derived_from__isnull=True) | ~Q(transformation=""),
                name="evidence_derivation_recorded",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def checksum(self) -> str:
        """``sha256:<hex>``, the form used in custody events and reports."""
        return f"sha256:{self.sha256}"

    @property
    def is_original(self) -> bool:
        return self.derived_from_id is None

    @property
    def media_family(self) -> str:
        return self.media_type.split("/", 1)[0]


class CustodyEvent(TestigoModel):
    """One link in the chain of custody: who did what with an item, when, from whom to whom."""

    class Action(models.TextChoices):
        ACQUIRED = "acquired", _("acquired")
        VIEWED = "viewed", _("viewed")
        DOWNLOADED = "downloaded", _("downloaded")
        EXPORTED = "exported", _("exported")
        TRANSFERRED = "transferred", _("transferred")
        VERIFIED = "verified", _("verified")
        DERIVED = "derived", _("derived")

    item = models.ForeignKey(
        EvidenceItem, on_delete=models.PROTECT, related_name="custody_events", editable=False
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(_("actor"), max_length=150)
    at = models.DateTimeField(_("time (UTC)"), default=timezone.now, db_index=True)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    from_party = SealedTextField(_("from"), max_length=300, blank=True)
    to_party = SealedTextField(_("to"), max_length=300, blank=True)
    purpose = models.CharField(_("purpose"), max_length=500, blank=True)
    hash_before = models.CharField(_("hash before"), max_length=71, blank=True)
    hash_after = models.CharField(_("hash after"), max_length=71, blank=True)
    note = SealedTextField(_("note"), blank=True, multiline=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("custody event")
        verbose_name_plural = _("custody events")
        indexes = [models.Index(fields=["item", "at"], name="custody_item_at")]

    def __str__(self) -> str:
        return f"{self.item_id} {self.action} {self.at:%Y-%m-%dT%H:%M:%SZ}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Append only: an event, once written, is never changed."""
        if not self._state.adding:
            raise ValueError("custody events are never changed")
        super().save(*args, **kwargs)

    def delete(self, using: Any = None, keep_parents: bool = False) -> tuple[int, dict[str, int]]:
        raise ValueError("custody events are never deleted")
