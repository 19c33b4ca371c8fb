"""Country packs load as data: Venezuela, and a second tiny pack with no code change."""

from __future__ import annotations

import json
import shutil

import pytest
from django.core.management import CommandError, call_command

from testigo.audit.services import audit_verify
from testigo.core.models import DetentionFacility, PerpetratorBody, Place
from testigo.countrypacks.models import LoadedPack
from testigo.countrypacks.packfile import PackError, pack_read
from testigo.countrypacks.services import pack_load

pytestmark = pytest.mark.django_db
XX = "tests/fixtures/packs/xx"


def test_the_venezuela_pack_loads_its_territory_bodies_and_facilities(actor):
    report = pack_load("ve")
    assert report.places_created == 1 + 25 + 335 + 1139 or report.places_created > 1400
    assert Place.objects.get(code="VE-Z").name == "Amazonas"
    assert Place.objects.get(code="VE-X").name == "La Guaira"
    assert Place.objects.get(code="VE-W").children.count() == 0
    assert Place.objects.filter(level="state", pack="VE").count() == 25
    assert PerpetratorBody.objects.filter(code="SEBIN").exists()
    helicoide = DetentionFacility.objects.get(name__icontains="Helicoide")
    assert helicoide.operator.code == "SEBIN"
    assert audit_verify().intact


def test_loading_a_pack_twice_changes_nothing(actor):
    pack_load("ve")
    again = pack_load("ve")
    assert (again.places_created, again.bodies_created, again.updated) == (0, 0, 0)


def test_a_second_pack_loads_with_no_code_change(actor):
    report = pack_load(XX)
    assert report.code == "XX"
    assert Place.objects.filter(pack="XX", level="state").count() == 2
    assert LoadedPack.objects.filter(code="XX").exists()
    pack = pack_read(XX)
    fmt = pack.national_id_format()
    assert fmt.prefixes == ("X",)


def test_a_pack_with_a_dangling_parent_is_refused_naming_file_and_field(tmp_path, actor):
    shutil.copytree(XX, tmp_path / "bad")
    gazetteer = json.loads((tmp_path / "bad/gazetteer.json").read_text())
    gazetteer["places"][-1]["parent"] = "NOWHERE"
    (tmp_path / "bad/gazetteer.json").write_text(json.dumps(gazetteer))
    with pytest.raises(PackError, match=r"gazetteer.json places\[\d+\]: parent 'NOWHERE'"):
        pack_load(tmp_path / "bad")
    assert not Place.objects.filter(pack="XX").exists()


def test_a_pack_missing_its_id_format_is_refused(tmp_path, actor):
    shutil.copytree(XX, tmp_path / "bad")
    manifest = json.loads((tmp_path / "bad/pack.json").read_text())
    del manifest["national_id"]
    (tmp_path / "bad/pack.json").write_text(json.dumps(manifest))
    with pytest.raises(PackError, match="missing field 'national_id'"):
        pack_read(tmp_path / "bad")


def test_the_command_reports_an_unknown_pack_clearly():
    with pytest.raises(CommandError, match="no country pack there"):
        call_command("loadpack", "zz-nowhere")
