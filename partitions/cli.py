"""What the management commands that name a client partition share: the `--partition`
(or positional name) lookup of `partitions` and `import_contacts`."""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from ccadmin.models import Tenant
from ccadmin.scoping import works_for_client_of
from ccadmin.text import name_key
from partitions.models import ClientPartition


def partition_from_option(tenant: Tenant, name: str, *, user=None) -> ClientPartition:
    """The tenant's client partition of that name (ignoring case and width).

    With `user` (the command's `--user`), a client they do not work for
    (ccadmin.tenancy.client_scope) is not found either, in the same words.
    """
    found = ClientPartition.objects.filter(
        tenant=tenant, name_key=name_key(name)
    ).first()
    if found is not None and user is not None and not works_for_client_of(user, found):
        found = None
    if found is None:
        raise CommandError(
            _('The tenant "%(tenant)s" has no client partition named "%(name)s".')
            % {"tenant": tenant.name, "name": name}
        )
    return found
