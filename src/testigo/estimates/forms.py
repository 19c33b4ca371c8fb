from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from testigo.core.models import Place, VocabularyTerm


class EstimateForm(forms.Form):
    act_type = forms.ChoiceField(label=_("act type"), choices=[])
    date_from = forms.RegexField(
        label=_("from (YYYY-MM)"), regex=r"^\d{4}(-\d{2}(-\d{2})?)?$", required=False
    )
    date_to = forms.RegexField(
        label=_("to (YYYY-MM)"), regex=r"^\d{4}(-\d{2}(-\d{2})?)?$", required=False
    )
    region = forms.ChoiceField(label=_("state"), choices=[], required=False)
    method = forms.ChoiceField(
        label=_("method"),
        choices=[
            ("lcmcr", _("LCMCR (Bayesian latent classes)")),
            ("loglinear", _("log-linear models (classical)")),
        ],
    )
    seed = forms.IntegerField(label=_("random seed"), required=False, min_value=0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["act_type"].choices = [
            (t.code, t.label) for t in VocabularyTerm.objects.filter(vocabulary="act_type")
        ]
        self.fields["region"].choices = [
            ("", _("all")),
            *((p.code, p.name) for p in Place.objects.filter(level="state").order_by("name")),
        ]
