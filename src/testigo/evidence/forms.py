"""Forms for uploading evidence, linking it to the record and recording transfers."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from testigo.core.forms import PseudonymField
from testigo.core.listing import SearchForm
from testigo.core.models import Case, Incident, Source, Violation
from testigo.evidence.models import AcquisitionMethod, Confidentiality


class CaseReferenceField(forms.CharField):
    """A case picked by its reference, among the cases the user may see."""

    def __init__(self, *, cases: QuerySet[Case] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", _("case reference"))
        super().__init__(max_length=64, **kwargs)
        self.cases = cases if cases is not None else Case.objects.none()

    def clean(self, value: Any) -> Case | None:  # type: ignore[override]
        text = (super().clean(value) or "").strip()
        if not text:
            return None
        case = self.cases.filter(reference__iexact=text).first()
        if case is None:
            raise forms.ValidationError(
                _("No case has the reference %(ref)s."), params={"ref": text}
            )
        return case


class AcquisitionForm(forms.Form):
    """The acquisition record that goes with an upload (the file itself is streamed apart)."""

    description = forms.CharField(
        label=_("description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    language = forms.CharField(
        label=_("language"), required=False, max_length=35, help_text=_("e.g. es, en, es-VE")
    )
    acquired_from = forms.CharField(
        label=_("acquired from"),
        required=False,
        max_length=300,
        help_text=_("who gave it to us, or where it was found"),
    )
    acquired_from_person = PseudonymField(label=_("acquired from (person)"), required=False)
    acquisition_method = forms.ChoiceField(
        label=_("how it was acquired"),
        choices=[c for c in AcquisitionMethod.choices if c[0] != AcquisitionMethod.DERIVED],
        initial=AcquisitionMethod.UPLOAD,
    )
    device = forms.CharField(
        label=_("device"),
        required=False,
        max_length=200,
        help_text=_("e.g. the phone or camera that recorded it"),
    )
    acquisition_notes = forms.CharField(
        label=_("acquisition notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    confidentiality = forms.ChoiceField(
        label=_("confidentiality"),
        choices=Confidentiality.choices,
        initial=Confidentiality.CONFIDENTIAL,
    )
    case = CaseReferenceField(label=_("case"), required=False)

    def __init__(self, *args: Any, cases: QuerySet[Case] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if cases is None:
            del self.fields["case"]
        else:
            self.fields["case"].cases = cases  # type: ignore[attr-defined]


class LinkForm(forms.Form):
    """Attach an item to a case, person, violation, incident or source."""

    case = CaseReferenceField(label=_("case"), required=False)
    person = PseudonymField(label=_("person"), required=False)
    violation = forms.IntegerField(label=_("violation number"), required=False, min_value=1)
    incident = forms.IntegerField(label=_("incident number"), required=False, min_value=1)
    source = forms.ModelChoiceField(
        label=_("source"), required=False, queryset=Source.objects.none()
    )

    def __init__(
        self,
        *args: Any,
        cases: QuerySet[Case],
        violations: QuerySet[Violation],
        incidents: QuerySet[Incident],
        sources: QuerySet[Source],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["case"].cases = cases  # type: ignore[attr-defined]
        self.fields["source"].queryset = sources  # type: ignore[attr-defined]
        self._violations = violations
        self._incidents = incidents

    def clean_violation(self) -> Violation | None:
        number = self.cleaned_data.get("violation")
        if not number:
            return None
        violation = self._violations.filter(pk=number).first()
        if violation is None:
            raise forms.ValidationError(_("No violation has that number."))
        return violation

    def clean_incident(self) -> Incident | None:
        number = self.cleaned_data.get("incident")
        if not number:
            return None
        incident = self._incidents.filter(pk=number).first()
        if incident is None:
            raise forms.ValidationError(_("No incident has that number."))
        return incident

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any(
            data.get(name) for name in ("case", "person", "violation", "incident", "source")
        ):
            raise forms.ValidationError(_("Choose something to link the item to."))
        return data


class TransferForm(forms.Form):
    """A copy handed to someone outside Testigo (a prosecutor, a court, a partner)."""

    to_party = forms.CharField(label=_("handed to"), max_length=300)
    purpose = forms.CharField(label=_("purpose"), max_length=500)
    note = forms.CharField(
        label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class EvidenceFilter(SearchForm):
    media = forms.ChoiceField(
        label=_("kind"),
        required=False,
        choices=[
            ("", "—"),
            ("image", _("images")),
            ("video", _("video")),
            ("audio", _("audio")),
            ("application/pdf", _("PDF")),
        ],
    )
    originals = forms.BooleanField(label=_("originals only"), required=False)
