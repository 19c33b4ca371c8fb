"""Every change through any path lands in the audit log, and tampering is detected."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction

from testigo.audit.context import acting_as
from testigo.audit.models import AuditEntry
from testigo.audit.services import audit_verify
from testigo.core.models import Source

pytestmark = pytest.mark.django_db


def entries_for(obj) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)))


def test_creating_through_the_orm_records_who_and_what(actor):
    source = Source.objects.create(name="Foro X", kind="ngo_list")
    (entry,) = entries_for(source)
    assert entry.action == "create"
    assert entry.actor == "test:actor"
    assert '"name":"Foro X"' in entry.after
    assert entry.before == ""


def test_an_update_records_the_state_before_and_after(actor):
    source = Source.objects.create(name="Foro X", kind="ngo_list")
    source.reliability = "B"
    source.save()
    update = entries_for(source)[-1]
    assert update.action == "update"
    assert '"reliability":"F"' in update.before
    assert '"reliability":"B"' in update.after


def test_saving_without_a_change_writes_no_entry(actor):
    source = Source.objects.create(name="Foro X", kind="ngo_list")
    source.save()
    assert len(entries_for(source)) == 1


def test_delete_keeps_the_row_and_logs_a_delete(actor):
    source = Source.objects.create(name="Foro X", kind="ngo_list")
    source.delete()
    assert not Source.objects.filter(pk=source.pk).exists()
    assert Source.all_objects.get(pk=source.pk).deleted_at is not None
    assert entries_for(source)[-1].action == "delete"


def test_queryset_delete_is_soft_and_logged_per_row(actor):
    a = Source.objects.create(name="A", kind="media")
    b = Source.objects.create(name="B", kind="media")
    Source.objects.filter(pk__in=[a.pk, b.pk]).delete()
    assert Source.all_objects.filter(pk__in=[a.pk, b.pk]).count() == 2
    assert entries_for(a)[-1].action == "delete"
    assert entries_for(b)[-1].action == "delete"


def test_a_rolled_back_change_leaves_no_entry(actor):
    before = AuditEntry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        Source.objects.create(name="Ghost", kind="media")
        raise RuntimeError("abort")
    assert AuditEntry.objects.count() == before
    assert audit_verify().intact


def test_changes_through_the_admin_are_attributed_to_the_user(client):
    user = get_user_model().objects.create_superuser("ana", password="a-long-passphrase-1")
    client.force_login(user)
    source = Source.objects.create(name="Dossier", kind="lawyer_dossier")
    response = client.post(
        f"/admin/core/source/{source.pk}/change/",
        {
            "name": "Dossier 2",
            "kind": "lawyer_dossier",
            "reliability": "C",
            "credibility": 3,
            "obtained": "2024-08",
            "description": "",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    update = entries_for(source)[-1]
    assert update.actor == f"user:{user.pk}:ana"
    assert '"obtained":"2024-08"' in update.after


def test_a_password_never_enters_the_log():
    user = get_user_model().objects.create_user("luis", password="a-long-passphrase-2")
    for entry in entries_for(user):
        assert "argon2" not in entry.after
        assert '"password":"[redacted]"' in entry.after


def test_m2m_changes_are_logged(actor):
    from testigo.core.models import Case

    user = get_user_model().objects.create_user("abogada", password="a-long-passphrase-3")
    case = Case.objects.create(reference="C-1", title="Caso", target_body="icc_otp")
    case.lawyers.add(user)
    entry = entries_for(case)[-1]
    assert entry.action == "m2m_add"
    assert '"field":"lawyers"' in entry.after


def test_commands_are_attributed_to_the_command():
    call_command("loadpack", "tests/fixtures/packs/xx", verbosity=0)
    assert AuditEntry.objects.filter(actor="system:loadpack").exists()


@pytest.mark.parametrize(
    "column, value",
    [
        ("recorded_at", "2020-01-01T00:00:00.000000Z"),
        ("actor", "user:999:mallory"),
        ("action", "read"),
        ("object_type", "core.person"),
        ("object_id", "424242"),
        ("before", '{"x":1}'),
        ("after", '{"name":"forged"}'),
        ("prev_hash", "f" * 64),
        ("entry_hash", "e" * 64),
    ],
)
def test_changing_any_column_of_an_entry_breaks_the_chain_at_that_entry(column, value):
    with acting_as("test"):
        for name in ("A", "B", "C", "D"):
            Source.objects.create(name=name, kind="media")
    target = AuditEntry.objects.order_by("seq")[2]
    assert audit_verify().intact
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE audit_auditentry SET {column} = %s WHERE seq = %s", [value, target.seq]
        )
    result = audit_verify()
    assert not result.intact
    assert result.broken.seq == target.seq


def test_a_removed_entry_is_named():
    with acting_as("test"):
        for name in ("A", "B", "C", "D"):
            Source.objects.create(name=name, kind="media")
    target = AuditEntry.objects.order_by("seq")[1]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE seq = %s", [target.seq])
    result = audit_verify()
    assert result.broken is not None and result.broken.seq == target.seq


def test_two_entries_swapped_are_caught():
    with acting_as("test"):
        for name in ("A", "B", "C", "D"):
            Source.objects.create(name=name, kind="media")
    first, second = AuditEntry.objects.order_by("seq")[1:3]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET seq = -1 WHERE seq = %s", [first.seq])
        cursor.execute(
            "UPDATE audit_auditentry SET seq = %s WHERE seq = %s", [first.seq, second.seq]
        )
        cursor.execute("UPDATE audit_auditentry SET seq = %s WHERE seq = -1", [second.seq])
    result = audit_verify()
    assert result.broken is not None and result.broken.seq == first.seq


def test_deleting_the_newest_entries_is_caught_by_the_head():
    with acting_as("test"):
        for name in ("A", "B", "C"):
            Source.objects.create(name=name, kind="media")
    last = AuditEntry.objects.order_by("-seq").first()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE seq = %s", [last.seq])
    assert not audit_verify().intact


def test_the_verify_command_exits_1_naming_the_entry(capsys):
    with acting_as("test"):
        Source.objects.create(name="A", kind="media")
        Source.objects.create(name="B", kind="media")
    call_command("audit", "verify")
    assert "intact" in capsys.readouterr().out
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET actor = 'forged' WHERE seq = 2")
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit", "verify")
    assert exit_info.value.code == 1
    assert "entry 2" in capsys.readouterr().err


def test_an_entry_forged_beyond_the_head_is_caught():
    with acting_as("test"):
        Source.objects.create(name="A", kind="media")
    last = AuditEntry.objects.order_by("-seq").first()
    AuditEntry.objects.create(
        seq=last.seq + 1,
        recorded_at=last.recorded_at,
        actor="forger",
        action="create",
        object_type="core.source",
        object_id="99",
        before="",
        after="{}",
        prev_hash=last.entry_hash,
        entry_hash="0" * 64,
    )
    result = audit_verify()
    assert result.broken is not None and result.broken.seq == last.seq + 1
