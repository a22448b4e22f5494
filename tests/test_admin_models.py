"""Every admin screen of a contact center, through the reusable cases of
tests/admin_cases.py: each model declares its objects and forms, and gets the list,
add, change, delete, permission, isolation and audit tests."""

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from ccadmin import audit
from ccadmin.models import AuditEntry, Membership, Tenant
from ccadmin.roles import ADMINISTRATORS, AGENTS, ensure_roles
from contacts.models import Activity, Company, Contact, Email
from partitions.models import ClientPartition
from services.models import GatewayToken, Service
from tests import factories
from tests.admin_cases import AdminModelCases, ProviderOnlyAdminCases

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
