"""The actions an audit trail entry records: Django's add, change and delete, and an
export. A module of its own, importing nothing of the project, so the models
(AuditEntry's name) and ccadmin.audit (the writer) both read it."""

from django.contrib.admin.models import ADDITION, CHANGE, DELETION
from django.utils.translation import gettext_lazy

# A copy of a client's or a person's data leaving the system (a client's export, a
# data subject's export, a download of an offboarding export): its own action, not
# a "Change", since nothing changed. Beside Django's ADDITION (1), CHANGE (2) and
# DELETION (3) in LogEntry.action_flag, a small integer column that takes it as it is.
EXPORT = 4

# Each action: its name for machines (the API's "action", its filter) and what it
# reads as in the Audit trail (its list, its filter, its pages). The one table.
ACTIONS = {
    ADDITION: ("addition", gettext_lazy("Added")),
    CHANGE: ("change", gettext_lazy("Changed")),
    DELETION: ("deletion", gettext_lazy("Deleted")),
    EXPORT: ("export", gettext_lazy("Exported")),
}
ACTION_CODES = {flag: code for flag, (code, _label) in ACTIONS.items()}
ACTION_LABELS = {flag: label for flag, (_code, label) in ACTIONS.items()}


def action_label(flag: int) -> str:
    """An entry's action in words ("Added", "Exported"), or its number if unknown."""
    label = ACTION_LABELS.get(flag)
    return str(label) if label is not None else str(flag)
