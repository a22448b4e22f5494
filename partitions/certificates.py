"""Finding deletion certificates: from an audit trail entry, and by client name."""

from django.contrib.admin.models import DELETION, LogEntry
from django.urls import reverse
from django.utils.translation import gettext as _

from partitions.models import DeletionCertificate


def certificate_link(entry: LogEntry) -> tuple[str, str] | None:
    """The link from the audit entry of a client's deletion to its certificate (one
    query, on the entry's own page only), or None for any other entry."""
    if entry.action_flag != DELETION:
        return None
    certificate = (
        DeletionCertificate.objects.filter(audit_entry_id=entry.pk).only("pk").first()
    )
    if certificate is None:
        return None
    url = reverse("admin:partitions_deletioncertificate_change", args=[certificate.pk])
    return url, _("Deletion certificate %(number)s") % {"number": certificate.pk}
