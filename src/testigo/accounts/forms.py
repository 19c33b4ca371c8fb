from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from testigo.accounts.permissions import Role
from testigo.accounts.throttle import login_blocked, login_failed, login_succeeded


class ThrottledLoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": _("Too many failed attempts. Wait a minute and try again."),
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        if login_blocked(username):
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            data = super().clean()
        except forms.ValidationError:
            login_failed(username)
            raise
        login_succeeded(username)
        return data


ROLE_CHOICES = [(role.value, role.value) for role in Role]
ROLE_LABELS = {
    Role.ADMINISTRATOR: _("administrator"),
    Role.ANALYST: _("analyst"),
    Role.DOCUMENTER: _("documenter"),
    Role.LAWYER: _("lawyer"),
    Role.VIEWER: _("viewer"),
}


class UserForm(forms.Form):
    username = forms.CharField(label=_("user name"), max_length=150)
    role = forms.ChoiceField(label=_("role"), choices=[(r.value, ROLE_LABELS[r]) for r in Role])
    cleared = forms.BooleanField(label=_("cleared to reveal protected identities"), required=False)
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)
    password = forms.CharField(
        label=_("new password"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("at least 12 characters; leave empty to keep the current one"),
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if user is None:
            self.fields["password"].required = True

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        others = get_user_model().objects.filter(username=username)
        if self.user is not None:
            others = others.exclude(pk=self.user.pk)
        if others.exists():
            raise forms.ValidationError(_("That user name is taken."))
        return username

    def clean_password(self) -> str:
        password = self.cleaned_data.get("password") or ""
        if password:
            validate_password(password, self.user)
        return password
