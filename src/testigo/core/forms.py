"""Forms for creating and correcting the record. Dates accept what people type."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from testigo.core.models import (
    Case,
    Detention,
    Incident,
    Person,
    Place,
    Record,
    Source,
    Violation,
    VocabularyTerm,
)

DATE_HELP = _("e.g. 15/08/2024, agosto 2024, mediados de agosto de 2024, 2024")


class PseudonymField(forms.CharField):
    """A person picked by pseudonym code (V-00042): no list of thousands of names."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", _("pseudonym code, e.g. V-00042"))
        super().__init__(max_length=16, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int):
            person = Person.all_objects.filter(pk=value).first()
            return person.pseudonym_code if person else value
        return value.pseudonym_code if isinstance(value, Person) else value

    def clean(self, value: Any) -> Person | None:  # type: ignore[override]
        text = (super().clean(value) or "").strip().upper()
        if not text:
            return None
        person = Person.objects.filter(pseudonym_code=text).first()
        if person is None:
            raise forms.ValidationError(
                _("No person has the pseudonym %(code)s."), params={"code": text}
            )
        return person


def _place_field(required: bool = False) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=Place.objects.exclude(level="parish").order_by("code"),
        required=required,
        label=_("place"),
    )


class PersonForm(forms.ModelForm):
    class Meta:
        model = Person
        fields = [
            "given_names",
            "surnames",
            "sex",
            "birth_date",
            "national_id",
            "affiliation",
            "role",
            "protected",
            "deceased",
        ]
        help_texts = {"birth_date": DATE_HELP}


class RecordForm(forms.ModelForm):
    """Corrects the normalised reading of a record; what the source said (raw) never changes."""

    place = _place_field()

    class Meta:
        model = Record
        fields = [
            "given_names",
            "surnames",
            "sex",
            "birth_date",
            "age",
            "national_id",
            "act_type",
            "event_date",
            "place",
            "perpetrator_body",
            "facility",
            "detention_status",
        ]
        help_texts = {"birth_date": DATE_HELP, "event_date": DATE_HELP}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["act_type"].queryset = VocabularyTerm.objects.filter(vocabulary="act_type")


class ViolationForm(forms.ModelForm):
    victim = PseudonymField(label=_("victim"))
    place = _place_field()

    class Meta:
        model = Violation
        fields = [
            "victim",
            "act_type",
            "date",
            "place",
            "incident",
            "perpetrator_bodies",
            "status",
            "description",
        ]
        help_texts = {"date": DATE_HELP}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["act_type"].queryset = VocabularyTerm.objects.filter(vocabulary="act_type")


class DetentionForm(forms.ModelForm):
    person = PseudonymField(label=_("detained person"))
    arrest_place = _place_field()

    class Meta:
        model = Detention
        fields = [
            "person",
            "start",
            "end",
            "arrest_place",
            "detaining_body",
            "facility",
            "court",
            "status",
        ]
        help_texts = {"start": DATE_HELP, "end": DATE_HELP}


class IncidentForm(forms.ModelForm):
    place = _place_field()

    class Meta:
        model = Incident
        fields = ["title", "description", "date", "place", "sources"]
        help_texts = {"date": DATE_HELP}


class SourceForm(forms.ModelForm):
    class Meta:
        model = Source
        fields = ["name", "kind", "reliability", "credibility", "obtained", "description"]
        help_texts = {"obtained": DATE_HELP}

    def clean_credibility(self) -> int:
        value = self.cleaned_data["credibility"]
        if not 1 <= value <= 6:
            raise forms.ValidationError(_("Credibility goes from 1 (confirmed) to 6."))
        return value


class CaseForm(forms.ModelForm):
    class Meta:
        model = Case
        fields = ["reference", "title", "target_body", "status", "lawyers"]


class CaseAttachForm(forms.Form):
    """Attach a client or a violation to a case by pseudonym code / violation number."""

    client = PseudonymField(label=_("client"), required=False)
    violation = forms.IntegerField(label=_("violation number"), required=False, min_value=1)
