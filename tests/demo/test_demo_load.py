"""`testigo demo` loads the synthetic data set once, with its truth and its audit trail."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from testigo.audit.models import AuditEntry
from testigo.audit.services import audit_verify
from testigo.core.models import Record, Source
from testigo.demo.models import TruthLink
from testigo.demo.services import demo_load, demo_users_ensure

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(actor):
    return demo_load(n_records=1_000, seed=7)


def test_it_loads_every_record_with_its_true_person(loaded):
    assert loaded.created
    assert Record.objects.count() == 1_000
    assert TruthLink.objects.count() == 1_000
    assert Source.objects.count() == loaded.sources >= 4
    distinct_people = TruthLink.objects.values("true_person_key").distinct().count()
    assert 200 < distinct_people < 1_000  # sources overlap: fewer people than records


def test_records_keep_what_the_source_said_beside_the_normalised_fields(loaded):
    record = Record.objects.exclude(national_id="").exclude(raw={}).first()
    assert record.raw  # the row as the source wrote it
    assert record.national_id[0] in "VE" or record.national_id.isdigit()
    assert record.source_row is not None


def test_most_fields_resolve_against_the_pack_and_vocabularies(loaded):
    records = Record.objects.all()
    assert records.filter(place__isnull=False).count() > 0.95 * 1_000
    with_act = [r for r in records if "hecho" in r.raw]
    assert sum(r.act_type_id is not None for r in with_act) > 0.95 * len(with_act)


def test_loading_again_adds_nothing(loaded):
    entries = AuditEntry.objects.count()
    again = demo_load(n_records=1_000, seed=7)
    assert not again.created
    assert Record.objects.count() == 1_000
    assert AuditEntry.objects.count() == entries


def test_every_loaded_record_is_in_the_audit_log_and_the_chain_holds(loaded):
    created = AuditEntry.objects.filter(object_type="core.record", action="create").count()
    assert created == 1_000
    assert audit_verify().intact


def test_demo_users_get_one_role_each_and_keep_their_passwords(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    first = demo_users_ensure()
    again = demo_users_ensure()
    assert first == again
    roles = {role for role, _, _ in first}
    assert roles == {"administrator", "analyst", "documenter", "lawyer", "viewer"}
    analyst = get_user_model().objects.get(username="demo-analyst")
    assert analyst.groups.filter(name="analyst").exists()
    assert not analyst.is_superuser
    _, username, password = next(login for login in first if login[0] == "viewer")
    assert get_user_model().objects.get(username=username).check_password(password)
    assert (tmp_path / "demo-logins.txt").stat().st_mode & 0o777 == 0o600
