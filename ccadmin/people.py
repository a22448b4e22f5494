"""The people of a contact center (Tenancy > People): their role, their clients, and
the rules every way of adding or changing one follows (the People screen, the CSV
import, the command line).

A person is a Django user with a Membership of one tenant. Their role is exactly one
of the three role groups (ccadmin.roles.ROLES); the staff flag follows the role
(agents never enter the admin). The service provider's superusers are nobody's
people: no rule here ever makes or changes one.

These functions only read and check. The writes are ccadmin.actions' (add_people,
change_person, set_person_role, set_person_clients, deactivate_people, ...), which
call these checks again inside their transaction, under the tenant's lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import BaseUserManager, Group
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ccadmin.models import Membership, Tenant
from ccadmin.roles import (
    ADMINISTRATORS,
    AGENTS,
    CLIENT_SUPERVISORS,
    ROLES,
    ensure_roles,
)
from ccadmin.tenancy import client_scope, tenant_of

# What each role is called on the People screen (one person, not the group).
ROLE_LABELS = {
    AGENTS: gettext_lazy("Agent"),
    CLIENT_SUPERVISORS: gettext_lazy("Client supervisor"),
    ADMINISTRATORS: gettext_lazy("Contact center administrator"),
}
# Roles that sign in to the admin; agents work at the agent desktop only.
STAFF_ROLES = frozenset({CLIENT_SUPERVISORS, ADMINISTRATORS})


def client_model():
    """The client partition model, by way of Membership.client_partitions: ccadmin
    sits below the partitions app and imports nothing of it (tests/
    test_import_direction.py)."""
    return Membership._meta.get_field("client_partitions").related_model


def assignment_model():
    """The model recording that a person works for a client (ClientAssignment)."""
    return Membership._meta.get_field("client_partitions").remote_field.through


@dataclass
class NewPerson:
    """Someone a tenant's administrator adds: their account, role and clients.

    `clients` None means every client of the tenant; otherwise the client
    partitions chosen (possibly none). `password` None means no usable password:
    the person sets one through a set-password link."""

    username: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    role: str = AGENTS
    clients: list[Any] | None = None
    password: str | None = field(default=None, repr=False)

    def normalize(self) -> None:
        """The username NFKC-normalised (as Django's user model does), the names
        trimmed, the email's domain lower-cased."""
        user_model = get_user_model()
        self.username = user_model.normalize_username((self.username or "").strip())
        self.first_name = (self.first_name or "").strip()
        self.last_name = (self.last_name or "").strip()
        self.email = BaseUserManager.normalize_email((self.email or "").strip())


def role_label(role: str | None) -> str:
    """The role as the People screen names it; "—" for none."""
    return str(ROLE_LABELS.get(role, "—"))


def role_choices() -> list[tuple[str, Any]]:
    """(group name, label) of the three roles, least privileged first."""
    return [(role, ROLE_LABELS[role]) for role in ROLES]


def role_of(user) -> str | None:
    """The role a user holds: the most privileged role group they are in, or None.
    Reads user.groups.all(), so a prefetched list costs no query."""
    names = {group.name for group in user.groups.all()}
    return next((role for role in reversed(ROLES) if role in names), None)


def role_groups() -> dict[str, Group]:
    """The three role groups by name, created with their permissions if missing."""
    groups = {group.name: group for group in Group.objects.filter(name__in=ROLES)}
    if len(groups) < len(ROLES):
        groups = {name: ensure_roles()[name] for name in ROLES}
    return groups


def clients_label(membership: Membership) -> str:
    """ "All clients", or the chosen clients' names (reads a prefetched list)."""
    if membership.all_client_partitions:
        return _("All clients")
    names = sorted(client.name for client in membership.client_partitions.all())
    return ", ".join(names) or _("No client")


def check_actor(actor, tenant_id: int) -> None:
    """Refuse (PermissionDenied) an actor who may not manage this tenant's people:
    only a superuser or an active member of the tenant does. None is the system
    (a command run by the operator)."""
    if actor is None or (actor.is_active and actor.is_superuser):
        return
    own = tenant_of(actor)
    if not actor.is_active or own is None or own.pk != tenant_id:
        raise PermissionDenied(_("You may manage only your own tenant's people."))


def check_person(membership: Membership, actor) -> None:
    """Refuse to touch a service provider's account through People: only a
    superuser changes a superuser."""
    check_actor(actor, membership.tenant_id)
    if membership.user.is_superuser and not (actor is None or actor.is_superuser):
        raise PermissionDenied(_("Only the service provider changes its accounts."))


def check_set_password_link(membership: Membership) -> None:
    """Refuse a set-password link for someone who has signed in with a password of
    their own: only people who have not yet (new people, imported people) get one."""
    user = membership.user
    if user.has_usable_password() and user.last_login is not None:
        raise PermissionDenied(
            _(
                "%(username)s has already signed in with a password of their own: "
                "no set-password link (it would let someone else sign in as them)."
            )
            % {"username": user.get_username()}
        )


def check_role(role: str) -> None:
    """Refuse a role that is not one of the three (a forged form value)."""
    if role not in ROLES:
        raise ValidationError(
            {"role": _('"%(role)s" is not a role.') % {"role": role}}, code="role"
        )


def check_clients(tenant_id: int, clients: Iterable | None, actor=None) -> list:
    """The clients, checked to be the tenant's own; None (every client) as is.

    An `actor` who works for some clients only gives only those: never every
    client, nor one they do not work for (that would reach past their own scope).
    """
    if clients is not None:
        clients = list(clients)
        if any(client.tenant_id != tenant_id for client in clients):
            raise ValidationError(
                {"clients": _("Choose clients of this tenant only.")}, code="clients"
            )
    scope = None if actor is None else client_scope(actor)
    if scope is not None and (
        clients is None or any(client.pk not in scope for client in clients)
    ):
        raise ValidationError(
            {
                "clients": _(
                    "You work for some clients only: give only clients you work for."
                )
            },
            code="clients_out_of_scope",
        )
    return clients


def with_clients_out_of_reach(membership: Membership, chosen: list, actor) -> list:
    """The clients `membership` keeps when `actor`, who works for some clients
    only, sets them to `chosen`: those, and the person's clients the actor does not
    see (the form could not offer them, so leaving them out must not remove them).

    Refuses (ValidationError) a person who works for every client: only someone
    who works for every client changes that."""
    scope = None if actor is None else client_scope(actor)
    if scope is None:
        return chosen
    if membership.all_client_partitions:
        raise ValidationError(
            {
                "clients": _(
                    "This person works for every client: only someone who works for "
                    "every client changes that."
                )
            },
            code="clients_out_of_scope",
        )
    unseen = [c for c in membership.client_partitions.all() if c.pk not in scope]
    return [*chosen, *unseen]


def active_administrators(tenant_id: int):
    """The tenant's people who are active contact center administrators."""
    return Membership.objects.filter(
        tenant_id=tenant_id,
        user__is_active=True,
        user__groups__name=ADMINISTRATORS,
    )


def _is_last_administrator(membership: Membership) -> bool:
    others = active_administrators(membership.tenant_id).exclude(pk=membership.pk)
    return (
        membership.user.is_active
        and role_of(membership.user) == ADMINISTRATORS
        and not others.exists()
    )


def check_role_change(membership: Membership, role: str) -> None:
    """Refuse a role that is not one of the three, and taking the role of the last
    active administrator of the tenant away: nobody would be left to manage it."""
    check_role(role)
    if role != ADMINISTRATORS and _is_last_administrator(membership):
        raise ValidationError(
            {
                "role": _(
                    "%(user)s is the last administrator of this contact center: make "
                    "someone else an administrator first."
                )
                % {"user": membership.user.get_username()}
            },
            code="last_administrator",
        )


def check_deactivation(membership: Membership, actor) -> None:
    """Refuse deactivating oneself (one would be signed out mid-task, and could not
    undo it) and deactivating the last active administrator of the tenant."""
    if actor is not None and membership.user_id == actor.pk:
        raise ValidationError(
            _("You cannot deactivate yourself."), code="deactivate_self"
        )
    if _is_last_administrator(membership):
        raise ValidationError(
            _(
                "%(user)s is the last administrator of this contact center: make "
                "someone else an administrator first."
            )
            % {"user": membership.user.get_username()},
            code="last_administrator",
        )


def taken_usernames(usernames: Iterable[str], exclude_user_id=None) -> set[str]:
    """Which of these usernames an account already has, case-insensitively (as
    Django's own user creation form checks), in one query; lower-cased."""
    lowered = {name.lower() for name in usernames}
    if not lowered:
        return set()
    users = get_user_model().objects.annotate(lowered=Lower("username"))
    if exclude_user_id is not None:
        users = users.exclude(pk=exclude_user_id)
    return set(users.filter(lowered__in=lowered).values_list("lowered", flat=True))


def username_taken(username: str) -> ValidationError:
    """The refusal of a username another account has."""
    return ValidationError(
        {
            "username": _('The username "%(username)s" is taken.')
            % {"username": username}
        },
        code="username_taken",
    )


def check_details(user, exclude: Sequence[str] = ()) -> None:
    """Check an account's username, names and email with the user model's own
    validators (not its unique check: see taken_usernames)."""
    user.full_clean(
        exclude=["password", *exclude],
        validate_unique=False,
        validate_constraints=False,
    )


def validate_new_people(
    tenant: Tenant, people: Sequence[NewPerson]
) -> dict[int, ValidationError]:
    """Normalise and check people to add to `tenant`; return the refusals by index
    in `people` (empty: all may be added). Costs one query for the usernames,
    whatever the number of people."""
    user_model = get_user_model()
    errors: dict[int, ValidationError] = {}
    for person in people:
        person.normalize()
    taken = taken_usernames(person.username for person in people)
    seen: set[str] = set()
    for index, person in enumerate(people):
        user = user_model(
            username=person.username,
            first_name=person.first_name,
            last_name=person.last_name,
            email=person.email,
        )
        try:
            check_details(user)
            check_role(person.role)
            check_clients(tenant.pk, person.clients)
            key = person.username.lower()
            if key in taken or key in seen:
                raise username_taken(person.username)
            seen.add(key)
            if person.password is not None:
                try:
                    password_validation.validate_password(person.password, user)
                except ValidationError as exc:
                    raise ValidationError({"password": exc.messages}) from exc
        except ValidationError as exc:
            errors[index] = exc
    return errors


def describe_error(exc: ValidationError) -> str:
    """A refusal as one line: "Username: The username "aiko" is taken."."""
    if not hasattr(exc, "error_dict"):
        return " ".join(exc.messages)
    labels = {
        "role": _("Role"),
        "clients": _("Clients"),
        "password": _("Password"),
    }
    user_model = get_user_model()
    parts = []
    for name, messages in exc.message_dict.items():
        if name == "__all__":
            parts.append(" ".join(messages))
            continue
        label = labels.get(name)
        if label is None:
            label = str(user_model._meta.get_field(name).verbose_name).capitalize()
        parts.append(f"{label}: {' '.join(messages)}")
    return " ".join(parts)


def snapshot(membership: Membership) -> dict[str, Any]:
    """What the audit compares before and after a change of a person: account,
    role and clients."""
    user = membership.user
    return {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "role": role_of(user),
        "all_client_partitions": membership.all_client_partitions,
        "client_partitions": sorted(
            client.name for client in membership.client_partitions.all()
        ),
    }


def _field_label(name: str) -> str:
    if name == "role":
        return "Role"
    model = (
        Membership if name in {"all_client_partitions", "client_partitions"} else None
    )
    model = model or get_user_model()
    return str(model._meta.get_field(name).verbose_name).capitalize()


def change_message(before: dict[str, Any], after: dict[str, Any]) -> list:
    """The admin's JSON change message (ccadmin.audit's form) for a person, with the
    values before and after; the labels in English, translated when read."""
    names = [name for name in after if before.get(name) != after[name]]
    if not names:
        return []
    with translation.override(None):
        labels = [_field_label(name) for name in names]
    return [
        {
            "changed": {
                "fields": labels,
                "before": {name: before.get(name) for name in names},
                "after": {name: after[name] for name in names},
            }
        }
    ]


def set_password_path(user) -> str:
    """The path of a one-time link where the person chooses their password (Django's
    password reset confirmation). It stops working once they have set a password or
    signed in, or after PASSWORD_RESET_TIMEOUT."""
    return reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
