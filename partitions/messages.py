"""What the admin and the `partitions` command tell an administrator after an action."""

from collections.abc import Sequence

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from partitions.models import ClientPartition


def delete_question(name: str) -> str:
    """The spec's confirmation, word for word, asked by the admin's delete pages and
    by `partitions delete`: "Are you absolutely sure you want to delete <X> including
    all contacts, emails, activity history belonging to this client?"."""
    return _(
        "Are you absolutely sure you want to delete %(name)s including all contacts, "
        "emails, activity history belonging to this client?"
    ) % {"name": name}


def _names(partitions: Sequence[ClientPartition]) -> str:
    # Quotation marks and the separator are translated: Japanese writes 「A」、「B」.
    quoted = [_('"%(name)s"') % {"name": partition.name} for partition in partitions]
    return _(", ").join(quoted)


def toggled_message(changed: Sequence[ClientPartition], *, enabled: bool) -> str:
    """'Enabled 2 client partitions: "Acme", "Globex".', or, when nothing changed,
    that the chosen partitions already were in that state."""
    count = len(changed)
    if not count:
        if enabled:
            return _("No client partition changed: they were already enabled.")
        return _("No client partition changed: they were already disabled.")
    if enabled:
        template = ngettext(
            "Enabled %(count)d client partition: %(names)s. Agents can choose it "
            "again and incoming calls and emails are assigned to it.",
            "Enabled %(count)d client partitions: %(names)s. Agents can choose them "
            "again and incoming calls and emails are assigned to them.",
            count,
        )
    else:
        template = ngettext(
            "Disabled %(count)d client partition: %(names)s. It no longer appears "
            "in the agents' drop-downs.",
            "Disabled %(count)d client partitions: %(names)s. They no longer appear "
            "in the agents' drop-downs.",
            count,
        )
    return template % {"count": count, "names": _names(changed)}


def being_deleted_message(partition: ClientPartition) -> str:
    """Why a client being deleted in the background cannot be changed or enabled."""
    return _(
        '"%(name)s" is being deleted: it stays disabled and cannot be changed until '
        "the deletion is done."
    ) % {"name": partition.name}
