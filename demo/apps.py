"""App configuration of the demo data (`manage.py seed_demo`)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Demo tenants, users, clients and history for `make run` and the walk-through.

    Sits on top of every other app: it may import all of them, and none imports it.
    """

    name = "demo"
    verbose_name = _("Demo data")
