"""The database cache's table (settings.CACHES), where allauth keeps its rate limits.

In the database, every worker and every instance that serves sees the same
counts; a per-process cache would let each allow the full limit.
"""

from typing import Any

from django.core.management import call_command
from django.db import migrations


def cache_table_create(apps: Any, schema_editor: Any) -> None:
    # Creates the tables of every database cache in CACHES that does not exist yet.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies: list[tuple[str, str]] = []

    operations = [migrations.RunPython(cache_table_create, migrations.RunPython.noop)]
