"""BagIt exports validate with the standard tool and carry a faithful custody report."""

from __future__ import annotations

import csv
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import bagit
import pytest

from testigo.blobstore import (
    BagItem,
    BlobStore,
    CustodyRow,
    ExportError,
    HashMismatchError,
    Redactor,
    derive_stripped_copy,
    export_bag,
)

WHEN = datetime(2024, 8, 2, 14, 30, tzinfo=UTC)


@pytest.fixture
def evidence(store: BlobStore, jpeg_with_exif: bytes, pdf_with_metadata: bytes):  # type: ignore[no-untyped-def]
    photo = store.put(jpeg_with_exif)
    statement = store.put(pdf_with_metadata)
    items = [
        BagItem(
            item_id="EV-000001",
            sha256=photo.sha256,
            sha512=photo.sha512,
            filename="foto_juan_perez.jpg",
            size=photo.size,
            media_type=photo.media_type,
            acquisition={
                "from_whom": "Juan Pérez",
                "by_whom": "documenter:maria",
                "when": "2024-08-01T10:00:00Z",
                "how": "handed over on a USB stick",
                "device": "USB stick SanDisk 16 GB",
                "original_name": "foto_juan_perez.jpg",
            },
            description="Fotografía de la detención de Juan Pérez",
        ),
        BagItem(
            item_id="EV-000002",
            sha256=statement.sha256,
            sha512=statement.sha512,
            filename="Declaración.pdf",
            size=statement.size,
            media_type=statement.media_type,
        ),
    ]
    custody = [
        CustodyRow(
            "EV-000001",
            WHEN,
            "documenter:maria",
            "acquired",
            "Juan Pérez",
            "Testigo store",
            "intake",
            "",
            f"sha256:{photo.sha256}",
        ),
        CustodyRow(
            "EV-000001",
            datetime(2024, 8, 3, tzinfo=UTC),
            "lawyer:ana",
            "viewed",
            purpose="case preparation",
            hash_before=f"sha256:{photo.sha256}",
            hash_after=f"sha256:{photo.sha256}",
        ),
        CustodyRow(
            "EV-000002", WHEN, "documenter:maria", "acquired", note='=HYPERLINK("http://evil")'
        ),
    ]
    return items, custody


def test_an_export_validates_with_the_bagit_library(
    store: BlobStore, evidence, tmp_path: Path, jpeg_with_exif: bytes
) -> None:
    items, custody = evidence
    result = export_bag(store, tmp_path / "bag", items, custody=custody, case_reference="ICC-02/18")
    bag = bagit.Bag(str(result.path))
    bag.validate()
    assert bag.version_info == (1, 0)
    assert set(bag.algorithms) == {"sha256", "sha512"}
    assert bag.info["External-Identifier"] == "ICC-02/18"
    assert bag.info["Testigo-Case-Reference"] == "ICC-02/18"
    assert bag.info["Testigo-Payload-Kind"] == "originals"
    assert bag.info["Payload-Oxum"] == f"{result.payload_bytes}.2"
    assert result.files == ["data/EV-000001/foto_juan_perez.jpg", "data/EV-000002/Declaración.pdf"]
    assert (result.path / result.files[0]).read_bytes() == jpeg_with_exif
    manifest = (result.path / "manifest-sha512.txt").read_text()
    assert f"{items[0].sha512}  data/EV-000001/foto_juan_perez.jpg" in manifest
    tagmanifest = (result.path / "tagmanifest-sha256.txt").read_text()
    for name in ("bag-info.txt", "custody/events.csv", "custody/items.csv", "custody/report.md"):
        assert name in tagmanifest
    assert not list(tmp_path.glob(".bag.partial-*"))


def test_an_export_validates_with_the_bagit_command(
    store: BlobStore, evidence, tmp_path: Path
) -> None:
    items, custody = evidence
    export_bag(store, tmp_path / "bag", items, custody=custody, case_reference="C-1")
    command = Path(sys.executable).with_name("bagit.py")
    result = subprocess.run(
        [sys.executable, str(command), "--validate", str(tmp_path / "bag")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "is valid" in result.stderr


def test_the_custody_csv_matches_the_rows_given(store: BlobStore, evidence, tmp_path: Path) -> None:
    items, custody = evidence
    result = export_bag(store, tmp_path / "bag", items, custody=custody, case_reference="C-1")
    with (result.path / "custody" / "events.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(custody)
    first = rows[0]
    assert first["item_id"] == "EV-000001"
    assert first["at_utc"] == "2024-08-02T14:30:00Z"
    assert (first["actor"], first["action"], first["from"], first["to"]) == (
        "documenter:maria",
        "acquired",
        "Juan Pérez",
        "Testigo store",
    )
    assert first["hash_after"] == f"sha256:{items[0].sha256}"
    assert rows[2]["note"].startswith("'=")  # a formula is never run by a spreadsheet
    with (result.path / "custody" / "items.csv").open(newline="", encoding="utf-8") as handle:
        listed = list(csv.DictReader(handle))
    assert [r["sha256"] for r in listed] == [i.sha256 for i in items]
    assert listed[0]["acquisition_how"] == "handed over on a USB stick"
    report = (result.path / "custody" / "report.md").read_text()
    assert "# Custody report: C-1" in report
    assert "| 2 | 2024-08-03T00:00:00Z | lawyer:ana | viewed |" in report
    assert items[1].sha512 in report


def test_protected_names_are_redacted_everywhere_in_the_bag(
    store: BlobStore, evidence, tmp_path: Path
) -> None:
    items, custody = evidence
    result = export_bag(
        store,
        tmp_path / "bag",
        items,
        custody=custody,
        case_reference="Caso Juan Pérez",
        protected_names={"Juan Pérez": "V-00042"},
    )
    bagit.Bag(str(result.path)).validate()
    assert result.redacted
    assert result.files[0] == "data/EV-000001/foto_V-00042.jpg"
    for path in result.path.rglob("*"):
        if path.is_file() and "data" not in path.relative_to(result.path).parts:
            text = path.read_text(encoding="utf-8")
            assert "Juan" not in text and "juan" not in text, path
    report = (result.path / "custody" / "report.md").read_text()
    assert "Fotografía de la detención de V-00042" in report
    assert "from whom: V-00042" in report
    assert "Testigo-Redacted: yes" in (result.path / "bag-info.txt").read_text()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Juan Pérez declaró", "[redacted] declaró"),
        ("JUAN PEREZ", "[redacted]"),
        ("foto_juan-perez.jpg", "foto_[redacted].jpg"),
        ("Juan  Pérez,  Ana", "[redacted],  [redacted]"),
        ("Banana y Juanita", "Banana y Juanita"),
        ("Pérez", "Pérez"),
    ],
)
def test_redaction_ignores_case_accents_and_separators_but_not_word_boundaries(
    text: str, expected: str
) -> None:
    assert Redactor(["Juan Pérez", "Ana"])(text) == expected


def test_stripped_copies_can_be_exported_instead_of_originals(
    store: BlobStore, evidence, tmp_path: Path
) -> None:
    items, custody = evidence
    derived = derive_stripped_copy(store, items[0].sha256)
    copy = BagItem(
        item_id="EV-000001",
        sha256=derived.item.sha256,
        sha512=derived.item.sha512,
        filename="foto.jpg",
        derived_from=derived.original_sha256,
        transformation=f"{derived.transformation}: {derived.method} ({derived.tool} "
        f"{derived.tool_version})",
    )
    result = export_bag(store, tmp_path / "bag", [copy], custody=custody[:2], case_reference="C")
    bag = bagit.Bag(str(result.path))
    bag.validate()
    assert bag.info["Testigo-Payload-Kind"] == "metadata-stripped copies"
    assert b"Canon" not in (result.path / result.files[0]).read_bytes()
    report = (result.path / "custody" / "report.md").read_text()
    assert f"Derived copy of SHA-256 `{items[0].sha256}`" in report


def test_an_item_whose_record_disagrees_with_the_store_aborts_the_export(
    store: BlobStore, evidence, tmp_path: Path
) -> None:
    items, custody = evidence
    wrong = BagItem(**{**items[1].__dict__, "sha512": "0" * 128})
    with pytest.raises(HashMismatchError, match="EV-000002"):
        export_bag(store, tmp_path / "bag", [items[0], wrong], custody=custody)
    assert list(tmp_path.iterdir()) == [tmp_path / "store"]  # no bag, no partial directory


def test_an_export_never_writes_into_an_existing_directory(
    store: BlobStore, evidence, tmp_path: Path
) -> None:
    items, _ = evidence
    (tmp_path / "bag").mkdir()
    with pytest.raises(ExportError):
        export_bag(store, tmp_path / "bag", items)


def test_hostile_file_names_stay_inside_the_payload(store: BlobStore, tmp_path: Path) -> None:
    item = store.put(b"content")
    names = ["../../etc/passwd", "a\nb%0A.txt", "CON", "..", "x" * 400 + ".pdf", "\u202eexe.txt"]
    items = [BagItem(f"EV-{i}", item.sha256, item.sha512, name) for i, name in enumerate(names)]
    result = export_bag(store, tmp_path / "bag", items)
    bagit.Bag(str(result.path)).validate()
    for path in result.files:
        assert path.startswith("data/EV-")
        assert ".." not in path.split("/")
        assert "\n" not in path and "%" not in path
        assert len(path.rsplit("/", 1)[-1].encode()) <= 180
    assert len(set(result.files)) == len(names)


def test_custody_events_of_items_outside_the_bag_are_left_out(
    store: BlobStore, evidence, tmp_path: Path
) -> None:
    items, custody = evidence
    other_case = CustodyRow("EV-999999", WHEN, "lawyer:otro", "viewed", note="another case")
    result = export_bag(store, tmp_path / "bag", items[:1], custody=[*custody, other_case])
    events = (result.path / "custody" / "events.csv").read_text()
    assert "EV-000001" in events
    assert "EV-999999" not in events and "EV-000002" not in events
