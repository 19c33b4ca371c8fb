"""Create the single chain-head row, so concurrent first writers lock the same row."""

from django.db import migrations

GENESIS_HASH = "0" * 64


def create_head(apps, schema_editor):
    AuditHead = apps.get_model("audit", "AuditHead")
    AuditHead.objects.using(schema_editor.connection.alias).get_or_create(
        id=1, defaults={"seq": 0, "entry_hash": GENESIS_HASH}
    )


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(create_head, migrations.RunPython.noop)]
