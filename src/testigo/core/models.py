"""The domain model (DESIGN.md §3).

Records keep what a source said, untouched; persons are what we conclude. Dates everywhere
carry their precision (:class:`~testigo.core.fields.PartialDateField`).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from testigo.core.base import TestigoModel
from testigo.core.fields import PartialDateField
from testigo.domain.search import search_text


class Translated(models.Model):
    """A label in Spanish and English; :attr:`label` follows the active language."""

    name_es = models.CharField(_("name (Spanish)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        language = (get_language() or "es")[:2]
        return self.name_en if language == "en" and self.name_en else self.name_es


# ---------------------------------------------------------------------------- vocabularies


class VocabularyTerm(Translated, TestigoModel):
    """A term of a controlled vocabulary (act types, affiliations, …), mapped to standards."""

    class Vocabulary(models.TextChoices):
        ACT_TYPE = "act_type", _("act type")
        AFFILIATION = "affiliation", _("affiliation")

    vocabulary = models.CharField(_("vocabulary"), max_length=32, choices=Vocabulary.choices)
    code = models.SlugField(_("code"), max_length=64)
    rome_statute = models.CharField(
        _("Rome Statute article"), max_length=32, blank=True, help_text=_("e.g. 7(1)(e)")
    )
    huridocs_mt04 = models.CharField(_("HURIDOCS mt04 term"), max_length=100, blank=True)
    description_es = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    synonyms = models.JSONField(
        default=list, blank=True, help_text=_("words sources use for this term, any language")
    )

    class Meta:
        ordering = ["vocabulary", "code"]
        constraints = [
            models.UniqueConstraint(fields=["vocabulary", "code"], name="vocabulary_code_unique")
        ]


# ---------------------------------------------------------------------------- country data


class Place(TestigoModel):
    """A gazetteer entry: country → state → municipality → parish, from a country pack."""

    class Level(models.TextChoices):
        COUNTRY = "country", _("country")
        STATE = "state", _("state")
        MUNICIPALITY = "municipality", _("municipality")
        PARISH = "parish", _("parish")

    code = models.CharField(_("code"), max_length=120, unique=True)
    name = models.CharField(_("name"), max_length=200)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    aliases = models.JSONField(default=list, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    pack = models.CharField(_("country pack"), max_length=16)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class PerpetratorBody(Translated, TestigoModel):
    """A unit or organisation alleged to have committed violations, with its chain of command."""

    class Kind(models.TextChoices):
        MILITARY = "military", _("military")
        POLICE = "police", _("police")
        INTELLIGENCE = "intelligence", _("intelligence")
        JUDICIAL = "judicial", _("judicial or prosecutorial")
        ARMED_GROUP = "armed_group", _("pro-government armed group")
        EXECUTIVE = "executive", _("executive")
        OTHER = "other", _("other")

    code = models.CharField(_("code"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices, default=Kind.OTHER)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="units"
    )
    attributes = models.JSONField(default=dict, blank=True)
    pack = models.CharField(_("country pack"), max_length=16, blank=True)

    class Meta:
        ordering = ["code"]

    def chain_of_command(self) -> list[PerpetratorBody]:
        """This body and its parents, innermost first."""
        chain: list[PerpetratorBody] = []
        node: PerpetratorBody | None = self
        while node is not None and node not in chain:
            chain.append(node)
            node = node.parent
        return chain


class DetentionFacility(TestigoModel):
    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    place = models.ForeignKey(Place, null=True, blank=True, on_delete=models.PROTECT)
    operator = models.ForeignKey(PerpetratorBody, null=True, blank=True, on_delete=models.PROTECT)
    attributes = models.JSONField(default=dict, blank=True)
    pack = models.CharField(_("country pack"), max_length=16, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "detention facilities"

    def __str__(self) -> str:
        return self.name


# ---------------------------------------------------------------------------- sources and records


class Source(TestigoModel):
    """Who or what provided information, graded with the Admiralty code."""

    class Kind(models.TextChoices):
        NGO_LIST = "ngo_list", _("NGO list")
        TESTIMONY = "testimony", _("testimony")
        LAWYER_DOSSIER = "lawyer_dossier", _("lawyer's dossier")
        MEDIA = "media", _("media")
        OFFICIAL = "official", _("official")
        OPEN_SOURCE = "open_source", _("open source")
        INTAKE = "intake", _("intake submission")

    class Reliability(models.TextChoices):
        A = "A", _("A — completely reliable")
        B = "B", _("B — usually reliable")
        C = "C", _("C — fairly reliable")
        D = "D", _("D — not usually reliable")
        E = "E", _("E — unreliable")
        F = "F", _("F — reliability cannot be judged")

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    reliability = models.CharField(
        _("reliability"), max_length=1, choices=Reliability.choices, default=Reliability.F
    )
    credibility = models.PositiveSmallIntegerField(
        _("credibility"), default=6, help_text=_("1 confirmed … 6 cannot be judged")
    )
    obtained = PartialDateField(_("date obtained"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(credibility__gte=1, credibility__lte=6), name="source_credibility_1_6"
            ),
            models.CheckConstraint(
                condition=Q(reliability__in=list("ABCDEF")), name="source_reliability_a_f"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Sex(models.TextChoices):
    MALE = "M", _("male")
    FEMALE = "F", _("female")
    OTHER = "X", _("other")
    UNKNOWN = "", _("unknown")


class DetentionStatus(models.TextChoices):
    HELD = "held", _("held")
    DISAPPEARED = "disappeared", _("disappeared")
    CONDITIONALLY_RELEASED = "conditionally_released", _("conditionally released")
    RELEASED = "released", _("released")
    DIED_IN_CUSTODY = "died_in_custody", _("died in custody")


class Person(TestigoModel):
    """A canonical individual we conclude exists, with a pseudonym shown where identity is
    protected. Attributes here are reconciled from records; each record keeps its own."""

    class Role(models.TextChoices):
        VICTIM = "victim", _("victim")
        WITNESS = "witness", _("witness")
        PERPETRATOR = "perpetrator", _("alleged perpetrator")
        DEFENDER = "defender", _("human-rights defender")

    pseudonym_code = models.CharField(_("pseudonym code"), max_length=16, unique=True)
    given_names = models.CharField(_("given names"), max_length=200, blank=True)
    surnames = models.CharField(_("surnames"), max_length=200, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    birth_date = PartialDateField(_("birth date"), null=True, blank=True)
    national_id = models.CharField(_("national ID"), max_length=32, blank=True, db_index=True)
    affiliation = models.ForeignKey(
        VocabularyTerm,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        limit_choices_to={"vocabulary": "affiliation"},
        related_name="+",
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.VICTIM)
    protected = models.BooleanField(
        _("identity protected"), default=True, help_text=_("shown by pseudonym unless cleared")
    )
    deceased = models.BooleanField(_("deceased"), default=False)
    provenance = models.JSONField(
        _("provenance of reconciled fields"), default=dict, blank=True
    )  # field name → record id it was taken from
    search_text = models.TextField(editable=False, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="absorbed"
    )  # set (and the row soft-deleted) when linkage finds this person is another one

    class Meta:
        ordering = ["pseudonym_code"]
        permissions = [("reveal_identity", "Can reveal protected identities (cleared)")]
        constraints = [
            models.CheckConstraint(
                condition=Q(pseudonym_code__regex=r"^[A-Z]{1,3}-[0-9]{5,}$"),
                name="person_pseudonym_format",
            )
        ]

    def __str__(self) -> str:
        return self.pseudonym_code

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.refresh_search_text()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text"}
        super().save(*args, **kwargs)

    def refresh_search_text(self) -> None:
        """Recompute the search key (bulk writers call this before ``bulk_create``)."""
        self.search_text = search_text(
            self.given_names, self.surnames, self.national_id, self.pseudonym_code
        )

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.given_names, self.surnames) if part)


class Record(TestigoModel):
    """One mention of a person in a source, as reported, with its provenance.

    A changed source row becomes a new version (``supersedes`` points to the old one), so what a
    source once said is never overwritten.
    """

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="records")
    external_key = models.CharField(
        _("key in the source"), max_length=200, help_text=_("row id or key the source uses")
    )
    version = models.PositiveIntegerField(default=1)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    source_file_sha256 = models.CharField(max_length=64, blank=True)
    source_row = models.PositiveIntegerField(null=True, blank=True)
    raw = models.JSONField(_("raw payload"), default=dict)

    # As reported, normalised.
    given_names = models.CharField(_("given names"), max_length=200, blank=True)
    surnames = models.CharField(_("surnames"), max_length=200, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    birth_date = PartialDateField(_("birth date"), null=True, blank=True)
    age = models.PositiveSmallIntegerField(_("age at event"), null=True, blank=True)
    national_id = models.CharField(_("national ID"), max_length=32, blank=True, db_index=True)
    affiliation = models.ForeignKey(
        VocabularyTerm, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    act_type = models.ForeignKey(
        VocabularyTerm, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    event_date = PartialDateField(_("date of the event"), null=True, blank=True)
    place = models.ForeignKey(Place, null=True, blank=True, on_delete=models.PROTECT)
    perpetrator_body = models.ForeignKey(
        PerpetratorBody, null=True, blank=True, on_delete=models.PROTECT
    )
    facility = models.ForeignKey(DetentionFacility, null=True, blank=True, on_delete=models.PROTECT)
    detention_status = models.CharField(max_length=32, choices=DetentionStatus.choices, blank=True)
    problems = models.JSONField(
        _("normalisation problems"), default=list, blank=True
    )  # fields the source gave that could not be read, with the reason

    # Linkage.
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="records"
    )
    link_confidence = models.FloatField(null=True, blank=True)
    search_text = models.TextField(editable=False, blank=True)

    class Meta:
        ordering = ["source_id", "source_row", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_key", "version"], name="record_key_version_unique"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="record_version_positive"),
            models.CheckConstraint(
                condition=Q(link_confidence__isnull=True)
                | Q(link_confidence__gte=0, link_confidence__lte=1),
                name="record_link_confidence_0_1",
            ),
            models.CheckConstraint(
                condition=Q(age__isnull=True) | Q(age__lte=120), name="record_age_plausible"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_id}:{self.external_key} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.refresh_search_text()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text"}
        super().save(*args, **kwargs)

    def refresh_search_text(self) -> None:
        """Recompute the search key (bulk writers call this before ``bulk_create``)."""
        self.search_text = search_text(self.given_names, self.surnames, self.national_id)


# ---------------------------------------------------------------------------- what happened


class Incident(TestigoModel):
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    date = PartialDateField(_("date"), null=True, blank=True)
    place = models.ForeignKey(Place, null=True, blank=True, on_delete=models.PROTECT)
    sources = models.ManyToManyField(Source, blank=True, related_name="incidents")

    class Meta:
        ordering = ["date", "id"]

    def __str__(self) -> str:
        return self.title


class Violation(TestigoModel):
    """Who did what to whom: a victim × act type × incident × perpetrators."""

    class Status(models.TextChoices):
        ALLEGED = "alleged", _("alleged")
        CORROBORATED = "corroborated", _("corroborated")
        VERIFIED = "verified", _("verified")

    victim = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="violations")
    act_type = models.ForeignKey(
        VocabularyTerm,
        on_delete=models.PROTECT,
        limit_choices_to={"vocabulary": "act_type"},
        related_name="+",
    )
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.PROTECT, related_name="violations"
    )
    date = PartialDateField(_("date"), null=True, blank=True)
    place = models.ForeignKey(Place, null=True, blank=True, on_delete=models.PROTECT)
    perpetrator_bodies = models.ManyToManyField(PerpetratorBody, blank=True)
    perpetrator_persons = models.ManyToManyField(
        Person, blank=True, related_name="violations_committed"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ALLEGED)
    records = models.ManyToManyField(Record, blank=True, related_name="violations")
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["date", "id"]

    def __str__(self) -> str:
        return f"{self.act_type_id} / {self.victim_id}"

    def clean(self) -> None:
        if self.victim_id and self.victim.role == Person.Role.PERPETRATOR:
            raise ValidationError({"victim": _("An alleged perpetrator cannot be the victim.")})


class Detention(TestigoModel):
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="detentions")
    violation = models.OneToOneField(
        Violation, null=True, blank=True, on_delete=models.PROTECT, related_name="detention"
    )
    start = PartialDateField(_("arrest date"), null=True, blank=True)
    end = PartialDateField(_("release or end date"), null=True, blank=True)
    arrest_place = models.ForeignKey(Place, null=True, blank=True, on_delete=models.PROTECT)
    detaining_body = models.ForeignKey(
        PerpetratorBody, null=True, blank=True, on_delete=models.PROTECT
    )
    facility = models.ForeignKey(DetentionFacility, null=True, blank=True, on_delete=models.PROTECT)
    charges = models.JSONField(_("charges"), default=list, blank=True)
    court = models.CharField(_("court"), max_length=200, blank=True)
    status = models.CharField(
        max_length=32, choices=DetentionStatus.choices, default=DetentionStatus.HELD
    )

    class Meta:
        ordering = ["start", "id"]

    def __str__(self) -> str:
        return f"{self.person_id} from {self.start}"

    def clean(self) -> None:
        if self.start and self.end and self.end.end < self.start.start:
            raise ValidationError({"end": _("The detention cannot end before it starts.")})
        released = {DetentionStatus.RELEASED, DetentionStatus.CONDITIONALLY_RELEASED}
        if self.end and self.status not in released | {DetentionStatus.DIED_IN_CUSTODY}:
            raise ValidationError({"status": _("A detention with an end date is not ongoing.")})

    def duration_days(self) -> tuple[int, int] | None:
        """The shortest and longest possible length in days, given both dates' precision."""
        if not self.start or not self.end:
            return None
        shortest = max(0, (self.end.start - self.start.end).days)
        return shortest, (self.end.end - self.start.start).days


class Case(TestigoModel):
    """A legal case file: a lawyer's clients, the violations alleged and the evidence."""

    class TargetBody(models.TextChoices):
        ICC_OTP = "icc_otp", _("ICC Office of the Prosecutor")
        IACHR = "iachr", _("Inter-American Commission on Human Rights")
        UN = "un", _("UN mechanisms")
        DOMESTIC = "domestic", _("domestic court")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        FILED = "filed", _("filed")
        CLOSED = "closed", _("closed")

    reference = models.CharField(_("reference"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=300)
    target_body = models.CharField(max_length=16, choices=TargetBody.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    lawyers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="cases")
    clients = models.ManyToManyField(Person, blank=True, related_name="cases")
    violations = models.ManyToManyField(Violation, blank=True, related_name="cases")

    class Meta:
        ordering = ["reference"]

    def __str__(self) -> str:
        return self.reference
