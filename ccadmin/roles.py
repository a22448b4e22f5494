"""The three roles of a contact center, as Django groups with their permissions.

- Contact center administrators: staff who run the tenant's admin (every model).
- Client supervisors: staff who administer their own clients (Membership
  client_partitions): change those client partitions (not add or delete them),
  manage their contacts, companies, emails and activity history, view the services
  assigned to them, export them and read their audit entries. What "their own" means
  is decided by ccadmin.tenancy.client_scope, for every role alike.
- Agents: the agent desktop, no admin access.
"""

from django.contrib.auth.models import Group, Permission

ADMINISTRATORS = "Contact center administrators"
AGENTS = "Agents"
CLIENT_SUPERVISORS = "Client supervisors"
# The roles a tenant's administrators give their people (Tenancy > People), from the
# least to the most privileged; a person holds exactly one.
ROLES = (AGENTS, CLIENT_SUPERVISORS, ADMINISTRATORS)

ALL = ("add", "change", "delete", "view")
# role -> model label -> verbs. ccadmin grants its own; each feature app grants its
# models' from its AppConfig.ready() (grant), so this core module names none of them.
_ROLE_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    # A tenant's administrators manage their own people (Tenancy > People): add,
    # change and view; never delete (a person is deactivated, the audit keeps them).
    # Personal API tokens: everyone with admin access makes, views and revokes
    # (changes) their own; administrators see and revoke every token of their tenant
    # too (ccadmin.scoping.TENANT_API_TOKENS_PERMISSION). Nobody deletes a token: a
    # revoked one stays listed, as the audit trail names it.
    ADMINISTRATORS: {
        "ccadmin.auditentry": ("view",),
        "ccadmin.membership": ("add", "change", "view"),
        "ccadmin.apitoken": ("add", "change", "view", "manage_tenant"),
    },
    AGENTS: {},
    CLIENT_SUPERVISORS: {
        "ccadmin.auditentry": ("view",),
        "ccadmin.apitoken": ("add", "change", "view"),
    },
}


def grant(role: str, model_label: str, verbs: tuple[str, ...]) -> None:
    """Give a role these permissions ("add", "change", "delete", "view") on a model
    ("app_label.modelname"); ensure_roles() writes them to the role's group."""
    _ROLE_PERMISSIONS[role][model_label] = verbs


def ensure_roles() -> dict[str, Group]:
    """Create or refresh the groups of the three roles; return them by name."""
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
