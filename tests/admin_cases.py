"""A reusable suite for the admin screens of one model, in the style of NetBox's
ViewTestCases: each admin model's test class declares how to make one of its objects
and what its add and change forms send, and inherits the tests every screen of a
contact center's admin must pass.

- list: an administrator of the tenant gets the list with their object on it;
  without the view permission, 403.
- add, change, delete: with the permission the form saves (302) and the object is
  added, changed or gone; without it, 403 and nothing changes.
- isolation: another tenant's object is not listed, and its change, delete and
  history pages answer with the admin's "doesn't exist" (a 302 to the index).
- audit: every add, change and delete leaves an audit trail entry by the
  administrator who did it, scoped to their tenant.

The tenant isolation matrix (tests/test_isolation_matrix.py) probes every URL and
action with hostile input; these cases check that each screen works at all, for the
right people, and is audited.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, DELETION
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.urls import reverse

from ccadmin.models import AuditEntry
from tests import factories
from tests.factories import signed_in

NOT_FOUND = "doesn’t exist. Perhaps it was deleted?"
VERBS = ("view", "add", "change", "delete")


def member_with(tenant, model: type[models.Model], verbs: list[str]):
    """A staff member of `tenant` holding only these permissions on `model`."""
    user = factories.administrator(tenant)
    user.groups.clear()
    user.user_permissions.set(
        Permission.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            codename__in=[f"{verb}_{model._meta.model_name}" for verb in verbs],
        )
    )
    return user


def audit_entry(obj_pk: int, model: type[models.Model], action_flag: int):
    """The one audit trail entry of this kind for the object."""
    return AuditEntry.objects.select_related("audit_scope").get(
        content_type=ContentType.objects.get_for_model(model, for_concrete_model=False),
        object_id=str(obj_pk),
        action_flag=action_flag,
    )


def assert_audited(obj_pk: int, model, action_flag: int, actor, tenant) -> None:
    """An entry by `actor`, scoped to `tenant`, and in that tenant's trail."""
    entry = audit_entry(obj_pk, model, action_flag)
    assert entry.user == actor
    assert entry.audit_scope.tenant_id == tenant.pk
    assert AuditEntry.objects.visible_to(actor).filter(pk=entry.pk).exists()


class AdminModelCases:
    """The admin screens of one tenant-owned model. A subclass declares `model`,
    `factory`, `add_data` and `changed`, and overrides `make` or `change_data` only
    where the defaults do not fit."""

    model: ClassVar[type[models.Model]]
    # Called with tenant=...: makes one saved object of that tenant.
    factory: ClassVar[Any]
    # A valid add form, as an administrator posts it.
    add_data: ClassVar[dict[str, Any]]
    # (field, value): what the change form leaves on the object.
    changed: ClassVar[tuple[str, Any]]

    def make(self, tenant) -> models.Model:
        """One saved object of `tenant`."""
        return self.factory(tenant=tenant)

    def change_data(self, obj) -> dict[str, Any]:
        """A valid change form for `obj`: the add form with the `changed` field's new
        value."""
        field, value = self.changed
        return {**self.add_data, field: value}

    # ----- helpers -----------------------------------------------------------------

    def url(self, view: str, obj: models.Model | None = None) -> str:
        opts = self.model._meta
        args = [obj.pk] if obj is not None else []
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)

    def added(self, tenant):
        """The objects the add form created (those not made by the fixtures)."""
        return self.model.objects.filter(tenant=tenant)

    @pytest.fixture
    def own(self, tenant):
        return self.make(tenant)

    @pytest.fixture
    def foreign(self, other_tenant):
        return self.make(other_tenant)

    # ----- list --------------------------------------------------------------------

    def test_list(self, admin_client, own):
        response = admin_client.get(self.url("changelist"))
        assert response.status_code == 200
        assert own in response.context["cl"].result_list

    def test_list_without_permission_is_403(self, tenant, own):
        client = signed_in(member_with(tenant, self.model, ["add"]))
        assert client.get(self.url("changelist")).status_code == 403

    # ----- add ---------------------------------------------------------------------

    def test_add(self, admin_client, admin_user, tenant):
        before = set(self.added(tenant).values_list("pk", flat=True))
        assert admin_client.get(self.url("add")).status_code == 200
        response = admin_client.post(self.url("add"), self.add_data)
        assert response.status_code == 302, _form_errors(response)
        (new,) = self.added(tenant).exclude(pk__in=before)
        assert new.tenant == tenant
        assert_audited(new.pk, self.model, ADDITION, admin_user, tenant)

    def test_add_without_permission_is_403(self, tenant):
        client = signed_in(member_with(tenant, self.model, ["view", "change"]))
        count = self.model.objects.count()
        assert client.get(self.url("add")).status_code == 403
        assert client.post(self.url("add"), self.add_data).status_code == 403
        assert self.model.objects.count() == count

    # ----- change ------------------------------------------------------------------

    def test_change(self, admin_client, admin_user, tenant, own):
        assert admin_client.get(self.url("change", own)).status_code == 200
        response = admin_client.post(self.url("change", own), self.change_data(own))
        assert response.status_code == 302, _form_errors(response)
        field, value = self.changed
        own.refresh_from_db()
        assert getattr(own, field) == value
        assert_audited(own.pk, self.model, CHANGE, admin_user, tenant)

    def test_change_without_permission_is_403(self, tenant, own):
        client = signed_in(member_with(tenant, self.model, ["view"]))
        before = self.model.objects.filter(pk=own.pk).values().get()
        response = client.post(self.url("change", own), self.change_data(own))
        assert response.status_code == 403
        assert self.model.objects.filter(pk=own.pk).values().get() == before

    # ----- delete ------------------------------------------------------------------

    def test_delete(self, admin_client, admin_user, tenant, own):
        assert admin_client.get(self.url("delete", own)).status_code == 200
        response = admin_client.post(self.url("delete", own), {"post": "yes"})
        assert response.status_code == 302
        assert response.url == self.url("changelist")
        assert not self.model.objects.filter(pk=own.pk).exists()
        assert_audited(own.pk, self.model, DELETION, admin_user, tenant)

    def test_delete_without_permission_is_403(self, tenant, own):
        client = signed_in(member_with(tenant, self.model, ["view", "change"]))
        assert client.get(self.url("delete", own)).status_code == 403
        assert client.post(self.url("delete", own), {"post": "yes"}).status_code == 403
        assert self.model.objects.filter(pk=own.pk).exists()

    # ----- isolation ---------------------------------------------------------------

    def test_other_tenants_object_is_not_listed(self, admin_client, own, foreign):
        response = admin_client.get(self.url("changelist"))
        shown = list(response.context["cl"].result_list)
        assert own in shown
        assert foreign not in shown

    @pytest.mark.parametrize("view", ["change", "delete", "history"])
    def test_other_tenants_object_is_not_found(self, admin_client, foreign, view):
        response = admin_client.get(self.url(view, foreign), follow=True)
        assert response.redirect_chain[-1][0] == reverse("admin:index")
        assert any(NOT_FOUND in str(m) for m in response.context["messages"])
        assert self.model.objects.filter(pk=foreign.pk).exists()


class ProviderOnlyAdminCases:
    """A screen of the service provider (tenants, memberships, users, roles): a
    superuser lists and opens it; a tenant's administrator gets 403 everywhere."""

    model: ClassVar[type[models.Model]]

    def make(self, tenant) -> models.Model:
        raise NotImplementedError

    def url(self, view: str, obj: models.Model | None = None) -> str:
        opts = self.model._meta
        args = [obj.pk] if obj is not None else []
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)

    def test_superuser_lists_and_opens(self, provider_client, tenant):
        obj = self.make(tenant)
        listing = provider_client.get(self.url("changelist"))
        assert listing.status_code == 200
        assert obj in listing.context["cl"].result_list
        assert provider_client.get(self.url("change", obj)).status_code == 200
        assert provider_client.get(self.url("add")).status_code == 200

    @pytest.mark.parametrize("view", ["changelist", "add", "change", "delete"])
    @pytest.mark.parametrize("method", ["GET", "POST"])
    def test_tenant_administrator_is_refused(self, admin_client, tenant, view, method):
        obj = self.make(tenant)
        before = list(self.model.objects.order_by("pk").values())
        url = self.url(view, None if view in ("changelist", "add") else obj)
        response = getattr(admin_client, method.lower())(url, {"post": "yes"})
        assert response.status_code == 403
        assert list(self.model.objects.order_by("pk").values()) == before


def _form_errors(response) -> object:
    """The add or change form's errors, to say why a save was refused."""
    context = getattr(response, "context", None) or {}
    form = context.get("adminform")
    return form.form.errors if form else response.status_code
