from django.db import migrations


def store_bodies_uncompressed(apps, schema_editor):
    """Sent bodies and answers arrive compressed (core/messagelog.squeeze): PostgreSQL's own
    pglz would spend CPU in the batch's transaction compressing them again for nothing
    (docs/PERFORMANCE.md). SQLite never compresses."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE district_sent_body ALTER COLUMN body SET STORAGE EXTERNAL, "
            "ALTER COLUMN answer SET STORAGE EXTERNAL"
        )


def store_bodies_as_before(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE district_sent_body ALTER COLUMN body SET STORAGE EXTENDED, "
            "ALTER COLUMN answer SET STORAGE EXTENDED"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("district", "0013_transfers"),
    ]

    operations = [migrations.RunPython(store_bodies_uncompressed, store_bodies_as_before)]
