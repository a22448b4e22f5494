"""The anchor schema: an identical copy of the client data models with Django's
Python-level CASCADE / SET_NULL instead of the database-level rules.

The copy is derived from the real models (field by field), so the two schemas cannot
drift apart; only `on_delete` differs. Its tables are prefixed `pycascade_`.
"""

from django.db import models

from contacts.models import Activity, Company, Contact, Email
from partitions.models import ClientPartition
from services.models import Service

APP_LABEL = "pycascade"
ORIGINALS = [ClientPartition, Service, Company, Contact, Email, Activity]
_PYTHON_RULE = {"DB_CASCADE": models.CASCADE, "DB_SET_NULL": models.SET_NULL}


def _python_rule(rule):
    for name, python in _PYTHON_RULE.items():
        if rule is getattr(models, name):
            return python
    return rule


def _renamed(item, name):
    copy = item.clone()
    copy.name = name
    return copy


def _build_copies() -> dict[type[models.Model], type[models.Model]]:
    copies: dict[type[models.Model], type[models.Model]] = {}
    for original in ORIGINALS:
        attrs = {"__module__": __name__}
        for field in original._meta.concrete_fields:
            if field.primary_key:
                continue
            name, _path, args, kwargs = field.deconstruct()
            if field.is_relation:
                target = field.related_model
                kwargs["to"] = copies.get(target, target)
                kwargs["on_delete"] = _python_rule(field.remote_field.on_delete)
                kwargs["related_name"] = None if target in copies else "+"
            attrs[name] = type(field)(*args, **kwargs)

        class Meta:
            app_label = APP_LABEL
            db_table = f"pycascade_{original._meta.model_name}"
            # The same secondary indexes and constraints as the original.
            indexes = [
                _renamed(index, f"py_{index.name}"[:30])
                for index in original._meta.indexes
            ]
            constraints = [
                _renamed(constraint, f"py_{constraint.name}"[:60])
                for constraint in original._meta.constraints
            ]

        attrs["Meta"] = Meta
        copies[original] = type(f"Py{original.__name__}", (models.Model,), attrs)
    return copies


# Filled by PycascadeConfig.ready(): field.deconstruct() needs the app registry ready.
COPIES: dict[type[models.Model], type[models.Model]] = {}


def build() -> None:
    """Define the copies once (called when the apps are ready)."""
    if not COPIES:
        COPIES.update(_build_copies())
