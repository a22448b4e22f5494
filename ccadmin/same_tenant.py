"""One tenant per record: what a record points to belongs to the record's tenant.

An email of one contact center pointing at another's contact would show that
contact's name to the first center's agents, whoever saved it (a superuser in the
admin, a command, a bug in a caller). So the rule is part of each model's validation
(`clean()`, run by `full_clean()` in every action of ccadmin.writes), not of a form:
every foreign key of a tenant's record to another tenant-owned model (client
partition, company, contact, email, service) must name a row of the same tenant.
"""

from __future__ import annotations

from django.core.exceptions import (
    FieldDoesNotExist,
    ObjectDoesNotExist,
    ValidationError,
)
from django.db import models
from django.utils.translation import gettext as _

TENANT_FIELD = "tenant"


def tenant_bound_fields(model: type[models.Model]) -> list[models.ForeignKey]:
    """The foreign keys of `model` to rows that belong to a tenant themselves (all
    but the tenant field): each must name a row of the record's own tenant."""
    return [
        field
        for field in model._meta.concrete_fields
        if isinstance(field, models.ForeignKey)
        and field.name != TENANT_FIELD
        and _has_tenant(field.related_model)
    ]


def check_same_tenant(record: models.Model) -> None:
    """Raise ValidationError, keyed by field, for each foreign key of `record` that
    names another tenant's row.

    Costs no query for a related object already on the record (the forms, routing
    and the importer set them); one per other foreign key set.
    """
    tenant_id = getattr(record, f"{TENANT_FIELD}_id", None)
    if tenant_id is None:
        return  # the tenant field's own check reports it
    errors = {}
    for field in tenant_bound_fields(type(record)):
        if getattr(record, field.attname) is None:
            continue
        try:
            related = getattr(record, field.name)
        except ObjectDoesNotExist:
            continue  # a row that does not exist: clean_fields() names it
        if getattr(related, f"{TENANT_FIELD}_id") != tenant_id:
            errors[field.name] = ValidationError(
                _("This %(thing)s belongs to another tenant.")
                % {"thing": field.related_model._meta.verbose_name},
                code="other_tenant",
            )
    if errors:
        raise ValidationError(errors)


def _has_tenant(model: type[models.Model]) -> bool:
    try:
        field = model._meta.get_field(TENANT_FIELD)
    except FieldDoesNotExist:
        return False
    return isinstance(field, models.ForeignKey)
