"""Keeps each person's roles_version current, whatever path changed their
permissions: the roles (ccadmin.actions.set_person_role), Django's admin of users
and groups, ensure_roles() rewriting a role's permissions, a deleted group.

Cached permission sets are keyed by the version (ccadmin.auth), so bumping it in the
same transaction as the change is the whole of the cache invalidation.
"""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db.models import F
from django.db.models.signals import m2m_changed, pre_delete
from django.dispatch import receiver

from ccadmin.models import Membership

User = get_user_model()
# The m2m actions after which a person's permissions may differ; pre_clear, not
# post_clear, because only before a clear are the rows still there to follow.
_CHANGES = frozenset({"post_add", "post_remove", "pre_clear"})


def roles_changed(user_ids: Iterable[int] | None) -> None:
    """Bump the roles_version of these people (None: of everyone, for a change to
    a role's permissions, which is rare: deploys and ensure_roles)."""
    memberships = Membership.objects.all()
    if user_ids is not None:
        ids = list(user_ids)
        if not ids:
            return
        memberships = memberships.filter(user_id__in=ids)
    memberships.update(roles_version=F("roles_version") + 1)


def _members_of(group_ids: Iterable[int]) -> list[int]:
    return list(
        User.groups.through.objects.filter(group_id__in=list(group_ids)).values_list(
            "user_id", flat=True
        )
    )


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="groups-changed")
def _groups_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if action not in _CHANGES:
        return
    if not reverse:  # user.groups.add(...): this person
        roles_changed([instance.pk])
    elif pk_set is not None:  # group.user_set.add(...): these people
        roles_changed(pk_set)
    else:  # group.user_set.clear(): everyone in the group
        roles_changed(_members_of([instance.pk]))


@receiver(
    m2m_changed, sender=User.user_permissions.through, dispatch_uid="perms-changed"
)
def _user_permissions_changed(sender, instance, action, reverse, **kwargs) -> None:
    if action in _CHANGES:
        roles_changed(None if reverse else [instance.pk])


@receiver(m2m_changed, sender=Group.permissions.through, dispatch_uid="role-changed")
def _role_permissions_changed(sender, action, **kwargs) -> None:
    if action in _CHANGES:
        roles_changed(None)


@receiver(pre_delete, sender=Group, dispatch_uid="role-deleted")
def _group_deleted(sender, instance, **kwargs) -> None:
    # The database cascade removes its rows with no m2m signal.
    roles_changed(_members_of([instance.pk]))


@receiver(pre_delete, sender=Permission, dispatch_uid="permission-deleted")
def _permission_deleted(sender, instance, **kwargs) -> None:
    roles_changed(None)
