"""What the management commands that name a client partition share: the `--partition`
(or positional name) lookup of `partitions` and `import_contacts`."""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from ccadmin.models import Tenant
from ccadmin.text import name_key
from partitions.models import ClientPartition


def partition_from_option(tenant: Tenant, name: str) -> ClientPartition:
    """The tenant's client partition of that name (ignoring case and width)."""
    found = ClientPartition.objects.filter(
        tenant=tenant, name_key=name_key(name)
    ).first()
    if found is None:
        raise CommandError(
            _('The tenant "%(tenant)s" has no client partition named "%(name)s".')
            % {"tenant": tenant.name, "name": name}
        )
    return found
