"""Record every create, update and delete made through the ORM, the admin or a command.

Bulk writers (``bulk_create``, ``QuerySet.update``) send no signals: our services that use
them call :func:`testigo.audit.services.audit_record_created` themselves.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps as global_apps
from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

from testigo.audit.context import signals_are_suspended
from testigo.audit.services import audit_record, object_type_of, snapshot

#: Models whose rows are bookkeeping, not record: never logged.
IGNORED = frozenset(
    {
        "audit.auditentry",
        "audit.audithead",
        "sessions.session",
        "contenttypes.contenttype",
        "auth.permission",
        "admin.logentry",
        "migrations.migration",
    }
)


def _ignored(sender: type[models.Model]) -> bool:
    meta = sender._meta
    return (
        signals_are_suspended()
        or meta.label_lower in IGNORED
        or meta.apps is not global_apps  # historical models inside migrations
        or meta.auto_created is not False  # implicit m2m through tables: see _m2m_changed
    )


def _pre_save(sender: type[models.Model], instance: models.Model, raw: bool, **_: Any) -> None:
    if raw or _ignored(sender) or instance._state.adding or instance.pk is None:
        instance._audit_before = None  # type: ignore[attr-defined]
        return
    previous = sender._base_manager.filter(pk=instance.pk).first()
    instance._audit_before = snapshot(previous) if previous else None  # type: ignore[attr-defined]


def _post_save(
    sender: type[models.Model], instance: models.Model, created: bool, raw: bool, **_: Any
) -> None:
    if raw or _ignored(sender):
        return
    before = getattr(instance, "_audit_before", None)
    after = snapshot(instance)
    if not created and _without(before, "updated_at") == _without(after, "updated_at"):
        return
    action = getattr(instance, "_audit_action", None) or ("create" if created else "update")
    instance._audit_action = None  # type: ignore[attr-defined]
    audit_record(
        action=action,
        object_type=object_type_of(sender),
        object_id=str(instance.pk),
        before=None if created else before,
        after=after,
    )


def _without(data: dict[str, Any] | None, key: str) -> dict[str, Any] | None:
    return None if data is None else {k: v for k, v in data.items() if k != key}


def _pre_delete(sender: type[models.Model], instance: models.Model, **_: Any) -> None:
    if not _ignored(sender):
        instance._audit_before = snapshot(instance)  # type: ignore[attr-defined]


def _post_delete(sender: type[models.Model], instance: models.Model, **_: Any) -> None:
    if _ignored(sender):
        return
    audit_record(
        action="delete",
        object_type=object_type_of(sender),
        object_id=str(instance.pk),
        before=getattr(instance, "_audit_before", None) or snapshot(instance),
    )


def _m2m_changed(
    sender: type[models.Model],
    instance: models.Model,
    action: str,
    model: type[models.Model],
    pk_set: set[Any] | None,
    **_: Any,
) -> None:
    if signals_are_suspended() or action not in {"post_add", "post_remove", "post_clear"}:
        return
    if object_type_of(type(instance)) in IGNORED:
        return
    field = next(
        (f.name for f in type(instance)._meta.many_to_many if f.remote_field.through is sender),
        sender._meta.model_name,
    )
    ids = sorted(str(pk) for pk in (pk_set or ()))
    audit_record(
        action=f"m2m_{action.removeprefix('post_')}",
        object_type=object_type_of(type(instance)),
        object_id=str(instance.pk),
        after={"field": field, "related": object_type_of(model), "ids": ids},
    )


def connect() -> None:
    pre_save.connect(_pre_save, dispatch_uid="testigo_audit_pre_save")
    post_save.connect(_post_save, dispatch_uid="testigo_audit_post_save")
    pre_delete.connect(_pre_delete, dispatch_uid="testigo_audit_pre_delete")
    post_delete.connect(_post_delete, dispatch_uid="testigo_audit_post_delete")
    m2m_changed.connect(_m2m_changed, dispatch_uid="testigo_audit_m2m")
