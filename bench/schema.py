"""Creates the anchor tables (bench.pycascade) for the benchmarks."""

from django.db import connection

from bench.pycascade.models import COPIES


def create_tables() -> None:
    """(Re)create the anchor tables, empty."""
    with connection.schema_editor() as editor:
        for model in reversed(list(COPIES.values())):
            editor.execute(f'DROP TABLE IF EXISTS "{model._meta.db_table}" CASCADE')
        for model in COPIES.values():
            editor.create_model(model)
