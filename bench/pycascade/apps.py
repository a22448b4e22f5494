"""The anchor schema's app: installed only in the benchmarks' settings."""

from django.apps import AppConfig


class PycascadeConfig(AppConfig):
    """Copies of the client data models with Python-level on_delete."""

    name = "bench.pycascade"
    label = "pycascade"

    def ready(self) -> None:
        from bench.pycascade.models import build

        build()
