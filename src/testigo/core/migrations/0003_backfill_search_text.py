"""Fill the search keys of rows written before they existed. Batched and re-runnable."""

from django.db import migrations

from testigo.domain.search import search_text

BATCH = 5000


def backfill(apps, schema_editor):
    alias = schema_editor.connection.alias
    for model_name, fields in (
        ("Record", ("given_names", "surnames", "national_id")),
        ("Person", ("given_names", "surnames", "national_id", "pseudonym_code")),
    ):
        model = apps.get_model("core", model_name)
        last = 0
        while True:
            rows = list(
                model.objects.using(alias)
                .filter(pk__gt=last, search_text="")
                .order_by("pk")[:BATCH]
            )
            if not rows:
                break
            for row in rows:
                row.search_text = search_text(*(getattr(row, f) for f in fields))
            model.objects.using(alias).bulk_update(rows, ["search_text"])
            last = rows[-1].pk


class Migration(migrations.Migration):
    dependencies = [("core", "0002_person_search_and_reveal")]
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
