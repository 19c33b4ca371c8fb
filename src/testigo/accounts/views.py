"""Log in and out, change one's password, and (administrators) manage users and roles."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from testigo.accounts.forms import ROLE_LABELS, ThrottledLoginForm, UserForm
from testigo.accounts.permissions import Capability, Role, require, roles_of


class LoginView(auth_views.LoginView):
    form_class = ThrottledLoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "ui/form.html"
    success_url = reverse_lazy("core:dashboard")

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        messages.success(self.request, _("Your password was changed."))
        return super().form_valid(form)

    def get_context_data(self, **kwargs):  # type: ignore[no-untyped-def]
        return {
            **super().get_context_data(**kwargs),
            "title": _("Change password"),
            "cancel_url": reverse_lazy("core:dashboard"),
        }


def _reveal_permission() -> Permission:
    return Permission.objects.get(codename="reveal_identity", content_type__app_label="core")


@require(Capability.MANAGE_USERS)
def user_list(request: HttpRequest) -> HttpResponse:
    users = get_user_model().objects.order_by("username").prefetch_related("groups")
    reveal = _reveal_permission()
    rows = [
        {
            "user": u,
            "roles": ", ".join(str(ROLE_LABELS[r]) for r in sorted(roles_of(u))),
            "cleared": u.user_permissions.filter(pk=reveal.pk).exists() or u.is_superuser,
        }
        for u in users
    ]
    return render(request, "accounts/user_list.html", {"rows": rows})


def _save_user(form: UserForm, user: object | None) -> object:
    model = get_user_model()
    data = form.cleaned_data
    with transaction.atomic():
        if user is None:
            user = model.objects.create_user(username=data["username"], password=data["password"])
        else:
            user.username = data["username"]  # type: ignore[attr-defined]
            if data["password"]:
                user.set_password(data["password"])  # type: ignore[attr-defined]
        user.is_active = data["is_active"]  # type: ignore[attr-defined]
        user.is_staff = user.is_superuser = data["role"] == Role.ADMINISTRATOR  # type: ignore[attr-defined]
        user.save()  # type: ignore[attr-defined]
        user.groups.set([Group.objects.get_or_create(name=data["role"])[0]])  # type: ignore[attr-defined]
        if data["cleared"]:
            user.user_permissions.add(_reveal_permission())  # type: ignore[attr-defined]
        else:
            user.user_permissions.remove(_reveal_permission())  # type: ignore[attr-defined]
    return user


@require(Capability.MANAGE_USERS)
def user_create(request: HttpRequest) -> HttpResponse:
    form = UserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _save_user(form, None)
        messages.success(request, _("User created."))
        return redirect("accounts:user_list")
    return render(
        request,
        "ui/form.html",
        {"form": form, "title": _("New user"), "cancel_url": reverse_lazy("accounts:user_list")},
    )


@require(Capability.MANAGE_USERS)
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(get_user_model(), pk=pk)
    roles = sorted(roles_of(user))
    initial = {
        "username": user.username,
        "role": roles[0].value if roles else Role.VIEWER.value,
        "cleared": user.user_permissions.filter(pk=_reveal_permission().pk).exists(),
        "is_active": user.is_active,
    }
    form = UserForm(request.POST or None, initial=initial, user=user)
    if request.method == "POST" and form.is_valid():
        _save_user(form, user)
        messages.success(request, _("User saved."))
        return redirect("accounts:user_list")
    return render(
        request,
        "ui/form.html",
        {"form": form, "title": user.username, "cancel_url": reverse_lazy("accounts:user_list")},
    )
