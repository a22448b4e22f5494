"""The two roles of a contact center, as Django groups with their permissions."""

from django.contrib.auth.models import Group, Permission

ADMINISTRATORS = "Contact center administrators"
AGENTS = "Agents"

_ALL = ("add", "change", "delete", "view")
_ROLE_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    ADMINISTRATORS: {
        "partitions.clientpartition": _ALL,
        "services.service": _ALL,
        "services.gatewaytoken": _ALL,
        "contacts.company": _ALL,
        "contacts.contact": _ALL,
        "contacts.email": _ALL,
        "contacts.activity": _ALL,
        "ccadmin.auditentry": ("view",),
    },
    AGENTS: {
        "partitions.clientpartition": ("view",),
        "contacts.contact": ("add", "view"),
        "contacts.company": ("view",),
        "contacts.email": ("view",),
        "contacts.activity": ("view",),
    },
}


def ensure_roles() -> dict[str, Group]:
    """Create or refresh the administrators' and agents' groups; return them by name."""
    groups = {}
    for group_name, models in _ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=group_name)
        wanted = []
        for label, verbs in models.items():
            app_label, model = label.split(".")
            codenames = [f"{verb}_{model}" for verb in verbs]
            wanted += Permission.objects.filter(
                content_type__app_label=app_label, codename__in=codenames
            )
        group.permissions.set(wanted)
        groups[group_name] = group
    return groups
