"""`testigo evidence add|verify|export|keys`: the evidence store from the command line.

A thin wrapper over :mod:`testigo.evidence.services`. Bad input (a missing file, an unknown
case, keys not set up) stops with a message naming the problem before anything is written.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from testigo.blobstore import BlobStoreError
from testigo.core.models import Case, Person
from testigo.evidence import services
from testigo.evidence.models import AcquisitionMethod, Confidentiality
from testigo.evidence.store import evidence_config, keyfile_key_id_or_none, store_exists


class Command(BaseCommand):
    help = (
        "Evidence store tools: add FILE, verify (exit 1 naming each mismatch), "
        "export --bag DIR, keys init|export-recovery|rotate|status."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="add|verify|export|keys")

        add = sub.add_parser("add", help="store one file: hash, encrypt, record its acquisition")
        add.add_argument("file", type=Path, help="the file to store (never modified)")
        add.add_argument("--case", metavar="REF", help="link the item to this case")
        add.add_argument("--json", action="store_true", help='print {"id": …, "sha256": …}')
        add.add_argument("--description", default="")
        add.add_argument("--language", default="", help="e.g. es, en, es-VE")
        add.add_argument("--from", dest="acquired_from", default="", help="who provided it")
        add.add_argument("--from-person", metavar="CODE", help="pseudonym code of the provider")
        add.add_argument(
            "--method",
            default=AcquisitionMethod.UPLOAD.value,
            choices=[m for m in AcquisitionMethod.values if m != AcquisitionMethod.DERIVED],
            help="how it was acquired",
        )
        add.add_argument("--device", default="", help="the device that recorded it")
        add.add_argument("--notes", default="", help="acquisition notes")
        add.add_argument(
            "--confidentiality",
            default=Confidentiality.CONFIDENTIAL.value,
            choices=Confidentiality.values,
        )

        verify = sub.add_parser("verify", help="re-hash every stored item against the database")
        verify.add_argument("--json", action="store_true", help="print a JSON report")
        verify.add_argument(
            "--record", action="store_true", help="write a 'verified' custody event per item"
        )

        export = sub.add_parser("export", help="write a BagIt package with a custody report")
        export.add_argument("--bag", type=Path, required=True, metavar="DIR", help="new directory")
        export.add_argument("--case", metavar="REF", help="only this case's evidence")
        export.add_argument(
            "--stripped", action="store_true", help="metadata-stripped copies, not originals"
        )
        export.add_argument(
            "--no-redact", action="store_true", help="keep protected persons' names in the report"
        )
        export.add_argument("--purpose", default="", help="why the package is made")

        keys = sub.add_parser("keys", help="the master key: init, export-recovery, rotate, status")
        keys_sub = keys.add_subparsers(
            dest="keys_action", required=True, metavar="init|export-recovery|rotate|status"
        )
        init = keys_sub.add_parser("init", help="create the master key and the empty store")
        init.add_argument(
            "--print-only",
            action="store_true",
            help="print a generated passphrase without keeping it in the demo passphrase file",
        )
        recovery = keys_sub.add_parser(
            "export-recovery", help="print the recovery phrase, or write it to a new file"
        )
        recovery.add_argument("--output", type=Path, help="a new file, outside the data dir")
        rotate = keys_sub.add_parser("rotate", help="new master key; envelopes re-sealed")
        rotate.add_argument(
            "--recovery-file", type=Path, help="write the new key's recovery copy here first"
        )
        rotate.add_argument(
            "--new-passphrase-file", type=Path, help="protect the new key file with this passphrase"
        )
        keys_sub.add_parser("status", help="where the store and key are, and the key id")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "add":
                self._add(options)
            elif action == "verify":
                self._verify(options)
            elif action == "export":
                self._export(options)
            elif action == "keys":
                self._keys(options)
            else:  # pragma: no cover - argparse refuses it first
                raise CommandError(f"unknown action {action!r}")
        except BlobStoreError as exc:
            raise CommandError(str(exc)) from None

    # -- add --------------------------------------------------------------------------------

    @staticmethod
    def _case(reference: str | None) -> Case | None:
        if not reference:
            return None
        case = Case.objects.filter(reference__iexact=reference.strip()).first()
        if case is None:
            raise CommandError(f"no case has the reference {reference!r}")
        return case

    def _add(self, options: dict[str, Any]) -> None:
        path: Path = options["file"]
        if not path.exists():
            raise CommandError(f"{path}: no such file")
        if not path.is_file():
            raise CommandError(f"{path}: not a regular file")
        if not os.access(path, os.R_OK):
            raise CommandError(f"{path}: permission denied")
        case = self._case(options["case"])
        person = None
        if options["from_person"]:
            code = options["from_person"].strip().upper()
            person = Person.objects.filter(pseudonym_code=code).first()
            if person is None:
                raise CommandError(f"no person has the pseudonym code {code!r}")
        with path.open("rb") as handle:
            item = services.evidence_add(
                actor=None,
                fileobj=handle,
                filename=path.name,
                description=options["description"],
                language=options["language"],
                acquired_from=options["acquired_from"],
                acquired_from_person=person,
                acquisition_method=options["method"],
                device=options["device"],
                acquisition_notes=options["notes"],
                confidentiality=options["confidentiality"],
                case=case,
            )
        if options["json"]:
            self.stdout.write(json.dumps({"id": item.code, "sha256": item.sha256}))
        elif item.is_new:  # type: ignore[attr-defined]
            self.stdout.write(f"Stored {path.name} as {item.code} (sha256:{item.sha256}).")
        else:
            self.stdout.write(
                f"{path.name} is already stored as {item.code} (sha256:{item.sha256}); "
                "this acquisition was added to its chain of custody."
            )

    # -- verify -----------------------------------------------------------------------------

    def _verify(self, options: dict[str, Any]) -> None:
        report = services.evidence_verify(actor=None, record_custody=options["record"])
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "intact": report.ok,
                        "checked": report.checked,
                        "bytes": report.bytes_checked,
                        "problems": report.problems,
                        "notices": report.notices,
                    }
                )
            )
        else:
            for notice in report.notices:
                self.stdout.write(f"notice: {notice}")
            for problem in report.problems:
                self.stderr.write(f"MISMATCH {problem}")
            if report.ok:
                self.stdout.write(
                    f"Evidence intact: {report.checked:,} items "
                    f"({report.bytes_checked:,} bytes) re-hashed."
                )
            else:
                self.stderr.write(
                    f"Evidence verification FAILED: {len(report.problems)} problems "
                    f"({report.checked:,} items checked)."
                )
        if not report.ok:
            raise SystemExit(1)

    # -- export -----------------------------------------------------------------------------

    def _export(self, options: dict[str, Any]) -> None:
        dest: Path = options["bag"]
        case = self._case(options["case"])
        if dest.exists() or dest.is_symlink():
            raise CommandError(f"{dest} already exists; choose a new directory for the bag")
        if not dest.parent.is_dir():
            raise CommandError(f"{dest.parent} is not a directory")
        result = services.evidence_export_bag(
            actor=None,
            dest=dest,
            case=case,
            stripped=options["stripped"],
            redact_protected=not options["no_redact"],
            purpose=options["purpose"],
        )
        for code, why in result.omitted:
            self.stderr.write(f"left out {code}: {why}")
        self.stdout.write(
            f"Wrote {result.path}: {len(result.items)} items, {result.payload_bytes:,} bytes, "
            f"{'names of protected persons redacted' if result.redacted else 'not redacted'}. "
            f"Validate with: bagit.py --validate {result.path}"
        )

    # -- keys -------------------------------------------------------------------------------

    def _keys(self, options: dict[str, Any]) -> None:
        action = options["keys_action"]
        if action == "init":
            result = services.evidence_keys_init(store_passphrase=not options["print_only"])
            self.stdout.write(f"Evidence store initialised at {result.store}.")
            self.stdout.write(f"Master key id: {result.key_id} ({result.mode}).")
            if result.keyfile:
                self.stdout.write(f"Key file (encrypted): {result.keyfile}")
            if result.generated_passphrase:
                self.stdout.write(
                    f"Passphrase (shown once, write it down): {result.generated_passphrase}"
                )
                if result.passphrase_file:
                    self.stdout.write(
                        f"It is also kept in {result.passphrase_file} (0600, outside the data "
                        "directory) so the demo runs unattended. For real use, move that file "
                        "to separate media and set TESTIGO_EVIDENCE_PASSPHRASE_FILE to it."
                    )
                else:
                    self.stdout.write(
                        "It is kept nowhere: set TESTIGO_EVIDENCE_PASSPHRASE_FILE before starting "
                        "Testigo."
                    )
            self.stdout.write(
                "Now keep a recovery copy offline: testigo evidence keys export-recovery --output "
                "/media/usb/testigo-recovery.txt"
            )
        elif action == "export-recovery":
            output = options["output"]
            phrase = services.evidence_keys_export_recovery(output=output)
            if output:
                self.stdout.write(
                    f"Recovery copy written to {output}. Whoever holds it can decrypt every item."
                )
            else:
                self.stdout.write(phrase)
        elif action == "rotate":
            new_passphrase = None
            if options["new_passphrase_file"]:
                try:
                    new_passphrase = options["new_passphrase_file"].read_text("utf-8").strip()
                except OSError as exc:
                    raise CommandError(f"{options['new_passphrase_file']}: {exc}") from None
            result = services.evidence_keys_rotate(
                recovery_file=options["recovery_file"], new_passphrase=new_passphrase
            )
            self.stdout.write(
                f"Master key rotated: {result.old_key_id} → {result.new_key_id}; "
                f"{result.rewrapped} envelopes re-sealed, no item rewritten."
            )
            if result.recovery_file:
                self.stdout.write(f"Recovery copy of the new key: {result.recovery_file}")
            if evidence_config().mode == "raw-key":
                self.stdout.write(
                    f"Now set TESTIGO_EVIDENCE_KEY_FILE={result.recovery_file} and restart."
                )
            self.stdout.write(
                "Backups made before now need the previous key's recovery copy: keep it with them."
            )
        else:
            config = evidence_config()
            self.stdout.write(f"Store: {config.describe_store()} ({config.store.backend})")
            self.stdout.write(f"Initialised: {'yes' if store_exists(config) else 'no'}")
            self.stdout.write(f"Key mode: {config.mode}")
            if config.mode == "raw-key":
                self.stdout.write(f"Raw key file: {config.raw_key_file}")
            else:
                key_id = keyfile_key_id_or_none(config.keyfile)
                self.stdout.write(f"Key file: {config.keyfile} (key id {key_id or 'none'})")
                self.stdout.write(f"Passphrase from: {config.passphrase_origin}")
