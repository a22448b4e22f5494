"""Every admin screen of a contact center, through the reusable cases of
tests/admin_cases.py: each model declares its objects and forms, and gets the list,
add, change, delete, permission, isolation and audit tests."""

import pytest
from django.contrib.admin.models import ADDITION, CHANGE
from django.contrib.auth.models import Group, User
from django.urls import reverse

from ccadmin import audit
from ccadmin.models import ApiToken, AuditEntry, Membership, Tenant
from ccadmin.roles import ADMINISTRATORS, AGENTS, ensure_roles
from contacts.models import Activity, Company, Contact, Email
from partitions.models import ClientPartition
from services.models import GatewayToken, Service
from tests import factories
from tests.admin_cases import (
    AdminModelCases,
    ProviderOnlyAdminCases,
    assert_audited,
    member_with,
)
from tests.factories import signed_in

# ----- Case & Contact Management ----------------------------------------------------


class TestClientPartitionAdmin(AdminModelCases):
    model = ClientPartition
    factory = factories.ClientPartitionFactory
    add_data = {"name": "Initech", "description": "Claims", "enabled": "on"}
    changed = ("description", "New notes")


class TestCompanyAdmin(AdminModelCases):
    model = Company
    factory = factories.CompanyFactory
    add_data = {"name": "Initech"}
    changed = ("name", "Initech KK")


class TestContactAdmin(AdminModelCases):
    model = Contact
    factory = factories.ContactFactory
    add_data = {
        "first_name": "Aiko",
        "last_name": "Tanaka",
        "email": "aiko@example.com",
    }
    changed = ("first_name", "Hana")


class TestEmailAdmin(AdminModelCases):
    model = Email
    factory = factories.EmailFactory
    add_data = {
        "direction": "inbound",
        "sender": "customer@example.com",
        "recipients": "support@example.com",
        "subject": "My claim",
        "sent_at_0": "2026-01-05",
        "sent_at_1": "10:00:00",
    }
    changed = ("subject", "My claim, again")


class TestActivityAdmin(AdminModelCases):
    model = Activity
    factory = factories.ActivityFactory
    add_data = {
        "channel": "voice",
        "direction": "inbound",
        "occurred_at_0": "2026-01-05",
        "occurred_at_1": "10:00:00",
        "summary": "Asked about a claim",
    }
    changed = ("summary", "Called back")


# ----- Services & Campaigns ---------------------------------------------------------


class TestServiceAdmin(AdminModelCases):
    model = Service
    factory = factories.ServiceFactory
    add_data = {"name": "Claims Line", "type": "inbound_voice"}
    changed = ("type", "chat")


class TestGatewayTokenAdmin(AdminModelCases):
    model = GatewayToken
    add_data = {"name": "Second PBX", "active": "on"}
    changed = ("active", False)

    def make(self, tenant):
        return factories.gateway_token(tenant)[0]

    def change_data(self, obj):
        return {"name": obj.name}  # Active unticked: the key is refused at once


# ----- the service provider's screens -----------------------------------------------


class TestTenantAdmin(ProviderOnlyAdminCases):
    model = Tenant

    def make(self, tenant):
        return tenant


# ----- Tenancy > People (more in tests/test_people_admin.py) ------------------------


class TestPeopleAdmin(AdminModelCases):
    """People are memberships: added with their account, changed, never deleted."""

    model = Membership
    add_data = {
        "username": "kenji",
        "role": AGENTS,
        "all_clients": "on",
        "sign_in": "link",
    }
    changed = ("all_client_partitions", False)

    def make(self, tenant):
        return factories.agent(tenant).membership

    def change_data(self, obj):
        # "Works for every client" left unticked.
        return {"username": obj.user.username, "role": AGENTS}

    def test_delete(self, admin_client, own):
        """Nobody deletes a person (they are deactivated): 403, still there."""
        assert admin_client.get(self.url("delete", own)).status_code == 403
        assert (
            admin_client.post(self.url("delete", own), {"post": "yes"}).status_code
            == 403
        )
        assert Membership.objects.filter(pk=own.pk).exists()

    @pytest.mark.parametrize("view", ["change", "history"])
    def test_other_tenants_object_is_not_found(self, admin_client, foreign, view):
        super().test_other_tenants_object_is_not_found(admin_client, foreign, view)

    def test_other_tenants_person_cannot_be_deleted(self, admin_client, foreign):
        response = admin_client.post(self.url("delete", foreign), {"post": "yes"})
        assert response.status_code == 403
        assert Membership.objects.filter(pk=foreign.pk).exists()


# ----- Tenancy > API tokens (more in tests/test_api_tokens.py) ---------------------


class TestApiTokenAdmin(AdminModelCases):
    """Personal API tokens: added (the key shown on the page answering the POST),
    revoked, never edited nor deleted."""

    model = ApiToken
    add_data = {"name": "CRM sync", "expires_days": "30"}
    changed = ("name", "Renamed")  # refused: see test_change

    def make(self, tenant):
        return factories.api_token(factories.client_supervisor(tenant))[0]

    def test_add(self, admin_client, admin_user, tenant):
        assert admin_client.get(self.url("add")).status_code == 200
        response = admin_client.post(self.url("add"), self.add_data)
        assert response.status_code == 200  # the key's page, not a redirect
        new = ApiToken.objects.get(user=admin_user)
        assert new.tenant == tenant
        assert response.context["key"].startswith(new.key_prefix)
        assert_audited(new.pk, ApiToken, ADDITION, admin_user, tenant)

    def test_change(self, admin_client, admin_user, tenant, own):
        """Nothing of a token is edited: its page is read-only; it is revoked."""
        assert admin_client.get(self.url("change", own)).status_code == 200
        before = ApiToken.objects.filter(pk=own.pk).values().get()
        edit = admin_client.post(self.url("change", own), self.change_data(own))
        assert edit.status_code == 403
        assert ApiToken.objects.filter(pk=own.pk).values().get() == before
        revoked = admin_client.post(self.url("revoke", own))
        assert revoked.status_code == 302
        own.refresh_from_db()
        assert own.revoked_at is not None
        assert_audited(own.pk, ApiToken, CHANGE, admin_user, tenant)

    def test_change_without_permission_is_403(self, tenant, own):
        """With the view permission only, one's own token: nothing changes, and no
        revocation (another person's token is not found: see the isolation)."""
        member = member_with(tenant, ApiToken, ["view"])
        mine = factories.api_token(member)[0]
        client = signed_in(member)
        before = ApiToken.objects.filter(pk=mine.pk).values().get()
        assert client.post(self.url("change", mine), {"name": "X"}).status_code == 403
        assert client.post(self.url("revoke", mine)).status_code == 403
        assert ApiToken.objects.filter(pk=mine.pk).values().get() == before

    def test_delete(self, admin_client, own):
        """Nobody deletes a token (it is revoked, and stays listed): 403."""
        assert admin_client.get(self.url("delete", own)).status_code == 403
        deleted = admin_client.post(self.url("delete", own), {"post": "yes"})
        assert deleted.status_code == 403
        assert ApiToken.objects.filter(pk=own.pk).exists()

    @pytest.mark.parametrize("view", ["change", "history"])
    def test_other_tenants_object_is_not_found(self, admin_client, foreign, view):
        super().test_other_tenants_object_is_not_found(admin_client, foreign, view)

    def test_other_tenants_token_cannot_be_deleted(self, admin_client, foreign):
        response = admin_client.post(self.url("delete", foreign), {"post": "yes"})
        assert response.status_code == 403
        assert ApiToken.objects.filter(pk=foreign.pk).exists()


class TestUserAdmin(ProviderOnlyAdminCases):
    model = User

    def make(self, tenant):
        return factories.agent(tenant)


class TestGroupAdmin(ProviderOnlyAdminCases):
    model = Group

    def make(self, tenant):
        return ensure_roles()[ADMINISTRATORS]


# ----- the Audit trail: read by a tenant's administrators, written by no one -------


class TestAuditTrailAdmin:
    @pytest.fixture
    def entries(self, tenant, other_tenant, admin_user):
        own = audit.log_addition(
            admin_user, factories.ClientPartitionFactory(tenant=tenant)
        )
        theirs = audit.log_addition(
            factories.administrator(other_tenant),
            factories.ClientPartitionFactory(tenant=other_tenant),
        )
        return AuditEntry.objects.get(pk=own.pk), AuditEntry.objects.get(pk=theirs.pk)

    def test_administrator_reads_own_tenants_entries_only(self, admin_client, entries):
        own, _theirs = entries
        response = admin_client.get(trail_url("changelist"))
        assert response.status_code == 200
        assert list(response.context["cl"].result_list) == [own]
        assert admin_client.get(trail_url("change", own)).status_code == 200

    def test_service_provider_reads_every_tenants_entries(
        self, provider_client, entries
    ):
        response = provider_client.get(trail_url("changelist"))
        assert set(response.context["cl"].result_list) == set(entries)

    @pytest.mark.parametrize("who", ["admin_client", "provider_client"])
    def test_nobody_adds_changes_or_deletes_entries(self, request, entries, who):
        client = request.getfixturevalue(who)
        own, _theirs = entries
        count = AuditEntry.objects.count()
        assert client.post(trail_url("add"), {}).status_code == 403
        assert client.post(trail_url("delete", own), {"post": "yes"}).status_code == 403
        changed = client.post(trail_url("change", own), {"object_repr": "Forged"})
        assert changed.status_code == 403
        assert AuditEntry.objects.count() == count
        assert AuditEntry.objects.get(pk=own.pk).object_repr == own.object_repr


def trail_url(view: str, entry=None) -> str:
    args = [entry.pk] if entry is not None else []
    return reverse(f"admin:ccadmin_auditentry_{view}", args=args)


def test_every_tenant_scoped_admin_has_its_cases():
    """An admin screen added later must get a class here too."""
    from django.contrib import admin

    from ccadmin.admin_base import TenantScopedAdmin

    scoped = {
        model
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, TenantScopedAdmin)
    }
    covered = {
        case.model
        for case in globals().values()
        if isinstance(case, type)
        and issubclass(case, AdminModelCases)
        and case is not AdminModelCases
    }
    assert scoped == covered
