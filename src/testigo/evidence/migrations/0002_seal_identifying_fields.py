"""Seal the identifying acquisition and custody fields (see testigo.evidence.fields).

Rows written before this migration hold plain text; they are sealed here. That needs the
evidence master key only when such rows exist (a fresh database migrates without it).
"""

from django.db import migrations

import testigo.evidence.fields

SEALED = {
    "evidenceitem": ["original_name", "acquired_from", "device", "acquisition_notes", "metadata"],
    "custodyevent": ["from_party", "to_party", "note"],
}


def seal_existing_rows(apps, schema_editor):
    for model_name, fields in SEALED.items():
        model = apps.get_model("evidence", model_name)
        rows = model._base_manager.order_by("pk").values_list("pk", flat=True)
        for pk in rows.iterator(chunk_size=500):
            row = model._base_manager.get(pk=pk)  # from_db_value passes plain text through
            # update() seals each value through the field's get_prep_value, bypassing save()
            # (custody events refuse to be saved twice).
            model._base_manager.filter(pk=pk).update(**{f: getattr(row, f) for f in fields})


class Migration(migrations.Migration):
    dependencies = [
        ("evidence", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="custodyevent",
            name="from_party",
            field=testigo.evidence.fields.SealedTextField(
                blank=True, max_length=300, verbose_name="from"
            ),
        ),
        migrations.AlterField(
            model_name="custodyevent",
            name="note",
            field=testigo.evidence.fields.SealedTextField(
                blank=True, multiline=True, verbose_name="note"
            ),
        ),
        migrations.AlterField(
            model_name="custodyevent",
            name="to_party",
            field=testigo.evidence.fields.SealedTextField(
                blank=True, max_length=300, verbose_name="to"
            ),
        ),
        migrations.AlterField(
            model_name="evidenceitem",
            name="acquired_from",
            field=testigo.evidence.fields.SealedTextField(
                blank=True, max_length=300, verbose_name="acquired from"
            ),
        ),
        migrations.AlterField(
            model_name="evidenceitem",
            name="acquisition_notes",
            field=testigo.evidence.fields.SealedTextField(
                blank=True, multiline=True, verbose_name="acquisition notes"
            ),
        ),
        migrations.AlterField(
            model_name="evidenceitem",
            name="device",
            field=testigo.evidence.fields.SealedTextField(
                blank=True, max_length=200, verbose_name="device"
            ),
        ),
        migrations.AlterField(
            model_name="evidenceitem",
            name="metadata",
            field=testigo.evidence.fields.SealedJSONField(
                blank=True, default=dict, editable=False, verbose_name="extracted metadata"
            ),
        ),
        migrations.AlterField(
            model_name="evidenceitem",
            name="original_name",
            field=testigo.evidence.fields.SealedTextField(
                max_length=255, verbose_name="original file name"
            ),
        ),
        migrations.RunPython(seal_existing_rows, migrations.RunPython.noop),
    ]
