"""Operations on tenants and memberships: their one writer.

The service provider's screens (ccadmin.admin) and the commands add and change
contact centers and say which one each user works for here; a tenant's
administrators add and change their own people here (Tenancy > People, the people
import), so every write is checked
by the model's rules and audited once (ccadmin.audit), with before and after values for
a change. Each function runs in one transaction.
"""

from collections.abc import Iterable, Sequence
from datetime import timedelta

from django.contrib.admin.models import ADDITION, CHANGE
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ccadmin import audit, people, writes
from ccadmin.locks import lock_tenant
from ccadmin.models import ApiToken, Membership, Tenant

# How precisely a personal API token's "last used" time is kept (see
# note_api_token_use).
API_TOKEN_USE_PRECISION = timedelta(minutes=1)


def add_tenant(tenant: Tenant, *, actor) -> Tenant:
    """Host a new contact center; audit it. Raises ValidationError (a name or slug
    already used)."""
    return writes.add(tenant, actor=actor)


def change_tenant(tenant: Tenant, *, actor) -> Tenant:
    """Save a contact center's new name, slug or client partition limit; audit the
    old and new values. Raises ValidationError."""
    return writes.change(tenant, actor=actor)


def add_membership(membership: Membership, *, actor) -> Membership:
    """Make a user an administrator or agent of a tenant; audit it. Raises
    ValidationError (the user already works for a tenant)."""
    return writes.add(membership, actor=actor)


def change_membership(membership: Membership, *, actor) -> Membership:
    """Move a user to another tenant; audit the old and new tenant. Raises
    ValidationError."""
    return writes.change(membership, actor=actor)


def delete_memberships(memberships: Iterable[Membership], *, actor) -> int:
    """Take users out of their tenants (they see no tenant's data any more); audit
    each. Returns how many went."""
    return writes.delete(Membership, memberships, actor=actor)


# People (Tenancy > People): a tenant's administrators add and change their own
# people. Every operation checks the actor and the rules of ccadmin.people again
# here, in its transaction; role changes and deactivations hold the tenant's lock
# (ccadmin.locks, rank 1), so two administrators demoting each other at once cannot
# leave the contact center without one.


def _locked_person(membership: Membership) -> Membership:
    """The stored membership and its user, locked for the rest of the transaction."""
    # OF: the membership's and the account's rows only. A bare FOR UPDATE would lock
    # the joined tenant row too, which every insert referencing the tenant waits for.
    return (
        Membership.objects.select_for_update(of=("self", "user"))
        .select_related("user", "tenant")
        .get(pk=membership.pk)
    )


def add_people(
    tenant: Tenant, new_people: Sequence[people.NewPerson], *, actor
) -> list[Membership]:
    """Add people to a contact center, all or none, in one transaction and a fixed
    number of queries whatever their number (a BPO onboards a team of 200 at once):
    their accounts (never superusers; staff unless agents), memberships, role groups
    and clients, each audited. Raises ValidationError (the first refusal) or
    PermissionDenied (an actor of another tenant)."""
    people.check_actor(actor, tenant.pk)
    refused = people.validate_new_people(tenant, new_people)
    if refused:
        raise next(iter(refused.values()))
    for person in new_people:
        people.check_clients(tenant.pk, person.clients, actor)
    try:
        return _insert_people(tenant, new_people, actor=actor)
    except IntegrityError as exc:
        # Another administrator took one of the usernames since they were checked.
        raise ValidationError(
            {"username": _("A username was taken meanwhile: try again.")},
            code="username_taken",
        ) from exc


def _insert_people(tenant, new_people, *, actor) -> list[Membership]:
    user_model = get_user_model()
    with transaction.atomic():
        users = []
        for person in new_people:
            user = user_model(
                username=person.username,
                first_name=person.first_name,
                last_name=person.last_name,
                email=person.email,
                is_staff=person.role in people.STAFF_ROLES,
                is_superuser=False,
                is_active=True,
            )
            if person.password is None:
                user.set_unusable_password()
            else:
                user.set_password(person.password)
            users.append(user)
        users = user_model.objects.bulk_create(users)
        memberships = Membership.objects.bulk_create(
            Membership(
                user=user, tenant=tenant, all_client_partitions=p.clients is None
            )
            for user, p in zip(users, new_people, strict=True)
        )
        groups = people.role_groups()
        user_model.groups.through.objects.bulk_create(
            user_model.groups.through(user_id=user.pk, group_id=groups[p.role].pk)
            for user, p in zip(users, new_people, strict=True)
        )
        assignment = people.assignment_model()
        assignment.objects.bulk_create(
            assignment(membership_id=membership.pk, client_partition_id=client.pk)
            for membership, p in zip(memberships, new_people, strict=True)
            for client in p.clients or ()
        )
        audit.record_each(
            actor,
            [
                (membership, _added_message(p))
                for membership, p in zip(memberships, new_people, strict=True)
            ],
            ADDITION,
        )
    return memberships


def _added_message(person: people.NewPerson) -> str:
    clients = (
        _("all clients")
        if person.clients is None
        else ", ".join(sorted(client.name for client in person.clients)) or _("none")
    )
    return _("Added as %(role)s; clients: %(clients)s.") % {
        "role": people.role_label(person.role),
        "clients": clients,
    }


def add_person(tenant: Tenant, person: people.NewPerson, *, actor) -> Membership:
    """Add one person to a contact center (add_people with one). Raises
    ValidationError or PermissionDenied."""
    return add_people(tenant, [person], actor=actor)[0]


def _audited_person_change(membership: Membership, change, *, actor) -> Membership:
    """Lock the person, check the actor, apply `change(stored)`, audit the values
    before and after; one transaction. Returns the stored membership."""
    with transaction.atomic():
        stored = _locked_person(membership)
        people.check_person(stored, actor)
        before = people.snapshot(stored)
        change(stored)
        stored.user.refresh_from_db()
        after = people.snapshot(stored)
        message = people.change_message(before, after)
        if message:
            audit.record(actor, [stored], CHANGE, message)
    return stored


def change_person(
    membership: Membership,
    *,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    actor,
) -> Membership:
    """Change a person's username, name or email; audit the old and new values.
    Raises ValidationError (a username taken or not valid, an email not valid)."""

    def change(stored: Membership) -> None:
        person = people.NewPerson(username, first_name, last_name, email)
        person.normalize()
        user = stored.user
        user.username, user.first_name = person.username, person.first_name
        user.last_name, user.email = person.last_name, person.email
        people.check_details(user)
        if people.taken_usernames([user.username], exclude_user_id=user.pk):
            raise people.username_taken(user.username)
        user.save(update_fields=["username", "first_name", "last_name", "email"])

    return _audited_person_change(membership, change, actor=actor)


def set_person_role(membership: Membership, role: str, *, actor) -> Membership:
    """Give a person exactly one of the three roles (their other role groups are
    removed; groups the service provider gave them otherwise are kept); they are
    staff unless an agent. Refuses (ValidationError) a role that is not one of the
    three and taking the last active administrator's role away."""

    def change(stored: Membership) -> None:
        people.check_role_change(stored, role)
        groups = people.role_groups()
        user = stored.user
        user.groups.remove(*[groups[name] for name in groups if name != role])
        user.groups.add(groups[role])
        user.is_staff = role in people.STAFF_ROLES
        user.save(update_fields=["is_staff"])

    with transaction.atomic():
        lock_tenant(membership.tenant_id)
        return _audited_person_change(membership, change, actor=actor)


def set_person_clients(
    membership: Membership, clients: Iterable | None, *, actor
) -> Membership:
    """Let a person work for every client of the tenant (`clients` None) or for the
    chosen ones only; audit the change. Refuses (ValidationError) another tenant's
    client."""

    def change(stored: Membership) -> None:
        chosen = people.check_clients(stored.tenant_id, clients, actor)
        if chosen is not None:
            chosen = people.with_clients_out_of_reach(stored, chosen, actor)
        stored.all_client_partitions = chosen is None
        stored.save(update_fields=["all_client_partitions"])
        stored.client_partitions.set(chosen or [])

    stored = _audited_person_change(membership, change, actor=actor)
    # The caller's instance (often cached as user.membership) says so too.
    membership.all_client_partitions = stored.all_client_partitions
    return stored


def _set_active(memberships: Iterable[Membership], active: bool, *, actor) -> int:
    memberships = sorted(memberships, key=lambda m: m.pk)  # lock in one order
    if not memberships:
        return 0
    with transaction.atomic():
        for tenant_id in sorted({m.tenant_id for m in memberships}):
            lock_tenant(tenant_id)
        changed = 0
        for membership in memberships:

            def change(stored: Membership) -> None:
                if stored.user.is_active == active:
                    return
                if not active:
                    people.check_deactivation(stored, actor)
                stored.user.is_active = active
                stored.user.save(update_fields=["is_active"])

            stored = _audited_person_change(membership, change, actor=actor)
            changed += stored.user.is_active == active
    return changed


def deactivate_people(memberships: Iterable[Membership], *, actor) -> int:
    """Deactivate people, all or none: they can no longer sign in, and keep their
    account, so the audit trail still names them (people are never deleted).
    Refuses (ValidationError) deactivating oneself or a tenant's last active
    administrator. Returns how many were active."""
    return _set_active(memberships, False, actor=actor)


def deactivate_person(membership: Membership, *, actor) -> Membership:
    """Deactivate one person (deactivate_people with one)."""
    deactivate_people([membership], actor=actor)
    return membership


def reactivate_people(memberships: Iterable[Membership], *, actor) -> int:
    """Let deactivated people sign in again, with the role and clients they had;
    audit each. Returns how many were inactive."""
    return _set_active(memberships, True, actor=actor)


def make_set_password_links(
    memberships: Iterable[Membership], *, actor
) -> list[tuple[Membership, str]]:
    """A one-time set-password link (its path) for each active person, recorded in
    the audit trail (not the link: it is a secret). Shown once to the administrator,
    who passes it on; it stops working once used.

    Refused (PermissionDenied), for all, if one of them has signed in with a
    password of their own: a link would let the administrator take over that account
    and act in that person's name."""
    with transaction.atomic():
        memberships = [m for m in memberships if m.user.is_active]
        for membership in memberships:
            people.check_person(membership, actor)
            people.check_set_password_link(membership)
        audit.record(actor, memberships, CHANGE, _("Made a set-password link."))
        return [(m, people.set_password_path(m.user)) for m in memberships]


def log_people_import(tenant: Tenant, message: str, *, actor):
    """Record an import of people into the tenant's audit trail, with what it did
    (each person added has an entry of their own too)."""
    return audit.log_event(actor, tenant, message)


# Personal API tokens (Tenancy > API tokens, `manage.py api_token`). The rules of a
# token are the model's (ccadmin.models.ApiToken); who sees which is
# ApiTokenQuerySet.visible_to; ccadmin.api_tokens accepts their keys.


def create_api_token(
    *, user, name: str, expires_days: int | None, actor
) -> tuple[ApiToken, str]:
    """Make a personal API token for `user`, expiring after `expires_days` days
    (None: never); audit it. Returns the token and its key: the key is returned
    once and never stored (only its hash is), so the caller must show it now.

    Raises ValidationError (no name, an inactive person or one who works for no
    contact center, a lifetime out of 1..ApiToken.MAX_LIFETIME_DAYS) or
    PermissionDenied: people make tokens for themselves; only the system (`actor`
    None: a command run by the operator) and superusers make one for someone else.
    """
    if not (
        actor is None or actor.pk == user.pk or (actor.is_active and actor.is_superuser)
    ):
        raise PermissionDenied(_("You may create API tokens only for yourself."))
    with transaction.atomic():
        token = ApiToken(user=user, name=name)
        token.set_lifetime(expires_days)
        key = token.set_new_key()
        token.full_clean()
        token.save()
        audit.log_addition(actor, token)
    return token, key


def revoke_api_tokens(tokens: Iterable[ApiToken], *, actor) -> int:
    """Revoke personal API tokens: their keys are refused from now on, and the
    tokens stay listed as revoked. Audits each one revoked; returns how many were
    not revoked yet. Refuses (PermissionDenied), for all, a token `actor` may not
    see (ApiToken.objects.visible_to: their own, or their tenant's for its
    administrators); `actor` None is the system (a command run by the operator)."""
    tokens = list(tokens)
    ids = sorted({token.pk for token in tokens})
    if not ids:
        return 0
    with transaction.atomic():
        if actor is not None:
            allowed = ApiToken.objects.visible_to(actor).filter(pk__in=ids)
            if allowed.count() != len(ids):
                raise PermissionDenied(
                    _("You may revoke only your own API tokens or your tenant's.")
                )
        # Locked in one order, so two revocations of the same tokens never deadlock
        # and each token is revoked (and audited) once.
        doomed = list(
            ApiToken.objects.select_for_update()
            .filter(pk__in=ids, revoked_at__isnull=True)
            .order_by("pk")
        )
        if not doomed:
            return 0
        now = timezone.now()
        ApiToken.objects.filter(pk__in=[token.pk for token in doomed]).update(
            revoked_at=now
        )
        for token in doomed:
            token.revoked_at = now
        message = [
            {
                "changed": {
                    "fields": audit.field_labels(ApiToken, ["revoked_at"]),
                    "before": {"revoked_at": None},
                    "after": {"revoked_at": now},
                }
            }
        ]
        audit.record(actor, doomed, CHANGE, message)
    revoked = {token.pk: token.revoked_at for token in doomed}
    for token in tokens:
        if token.pk in revoked:
            token.revoked_at = revoked[token.pk]  # the caller's instances say so too
    return len(doomed)


def note_api_token_use(token: ApiToken) -> None:
    """Record when a token's key was last used (the admin's "last used" column), to
    the minute (API_TOKEN_USE_PRECISION).

    Not audited: it is bookkeeping of the API's requests, not a change anyone made.
    One UPDATE of that column only, so it never undoes a concurrent revocation; and
    at most one a minute per token, so a script reading page after page does not
    write (and commit) on every request.
    """
    now = timezone.now()
    last = token.last_used_at
    if last is not None and now - last < API_TOKEN_USE_PRECISION:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
