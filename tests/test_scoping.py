"""`visible_to(user)`: the one method that decides which of a contact center's rows a
user sees (ccadmin.scoping)."""

import pytest
from django.contrib.auth.models import AnonymousUser

from ccadmin import audit
from ccadmin.models import ApiToken, AuditEntry, Membership
from contacts import actions
from contacts.data_subject import subject_of
from contacts.models import Activity, Company, Contact, Email, ErasureCertificate
from partitions.deletion import delete_client_partition
from partitions.models import ClientPartition, DeletionCertificate
from services.models import GatewayToken, Service
from tests import factories

SCOPED_MODELS = [
    ClientPartition,
    Service,
    GatewayToken,
    Company,
    Contact,
    Email,
    Activity,
    Membership,
    AuditEntry,
    DeletionCertificate,
    ErasureCertificate,
    ApiToken,
]


@pytest.fixture
def rows(tenant, other_tenant):
    """One row of every tenant-owned model in each of two tenants: {tenant pk: rows}."""
    made = {}
    for owner in (tenant, other_tenant):
        partition = factories.client_with_data(owner, f"Client of {owner}", contacts=1)
        factories.ServiceFactory(tenant=owner)
        factories.gateway_token(owner)
        actor = factories.administrator(owner)
        factories.api_token(actor)
        audit.log_addition(actor, partition)
        gone = factories.ClientPartitionFactory(tenant=owner, name=f"Gone of {owner}")
        delete_client_partition(gone, actor=actor)  # leaves a DeletionCertificate
        # A person erased at their request leaves a certificate.
        factories.ContactFactory(tenant=owner, email="erased@example.jp")
        actions.erase_data_subject(
            subject_of(owner, email="erased@example.jp"), actor=None
        )
        made[owner.pk] = partition
    return made


def visible_tenants(model, user) -> set[int]:
    """The tenants whose rows of `model` the user sees."""
    queryset = model.objects.visible_to(user)
    if model is AuditEntry:
        return set(queryset.values_list("audit_scope__tenant", flat=True))
    return set(queryset.values_list("tenant", flat=True))


@pytest.mark.parametrize("model", SCOPED_MODELS, ids=lambda m: m.__name__)
def test_superuser_sees_every_tenant(rows, tenant, other_tenant, model):
    assert visible_tenants(model, factories.superuser()) == {tenant.pk, other_tenant.pk}


@pytest.mark.parametrize("model", SCOPED_MODELS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("role", ["administrator", "agent"])
def test_member_sees_only_own_tenant(rows, tenant, model, role):
    member = getattr(factories, role)(tenant)
    if model is ApiToken:
        # An agent sees their own tokens only: give them one.
        factories.api_token(member)
    assert visible_tenants(model, member) == {tenant.pk}


@pytest.mark.parametrize("model", SCOPED_MODELS, ids=lambda m: m.__name__)
def test_member_of_the_other_tenant_sees_only_theirs(rows, tenant, other_tenant, model):
    member = factories.administrator(other_tenant)
    assert visible_tenants(model, member) == {other_tenant.pk}
    assert not model.objects.visible_to(member).filter(
        pk__in=model.objects.visible_to(factories.administrator(tenant))
    )


@pytest.mark.parametrize(
    "who",
    ["staff-without-membership", "inactive-member", "inactive-superuser", "anonymous"],
)
@pytest.mark.parametrize("model", SCOPED_MODELS, ids=lambda m: m.__name__)
def test_everyone_else_sees_nothing(rows, tenant, model, who):
    user = {
        "staff-without-membership": lambda: factories.UserFactory(is_staff=True),
        "inactive-member": lambda: factories.administrator(tenant, is_active=False),
        "inactive-superuser": lambda: factories.superuser(is_active=False),
        "anonymous": AnonymousUser,
    }[who]()
    queryset = model.objects.visible_to(user)
    assert queryset.query.is_empty()
    assert not queryset.exists()


def test_costs_no_query_once_the_tenant_is_known(
    rows, tenant, django_assert_num_queries
):
    member = factories.agent(tenant)
    Contact.objects.visible_to(member).count()  # the tenant is looked up once
    # and the permissions (API tokens ask whether the member sees the tenant's), as
    # every admin page and API request reads them anyway
    member.get_all_permissions()
    with django_assert_num_queries(0):
        for model in SCOPED_MODELS:
            model.objects.visible_to(member)
    with django_assert_num_queries(1):
        assert Contact.objects.visible_to(member).count() == 1


def test_chains_with_other_filters(rows, tenant, other_tenant):
    member = factories.agent(tenant)
    own = rows[tenant.pk]
    assert list(ClientPartition.objects.filter(pk=own.pk).visible_to(member)) == [own]
    foreign = rows[other_tenant.pk]
    assert not ClientPartition.objects.filter(pk=foreign.pk).visible_to(member)


def test_every_tenant_owned_model_has_visible_to():
    """A model with a tenant added later gets the scoped manager too, so no screen
    has to filter by hand."""
    from django.apps import apps

    ours = {"ccadmin", "partitions", "services", "contacts"}
    owned = {
        model
        for model in apps.get_models()
        if model._meta.app_label in ours
        and any(f.name == "tenant" for f in model._meta.get_fields())
    }
    # AuditScope is the audit trail's own link to a tenant: read through AuditEntry.
    owned -= {apps.get_model("ccadmin", "AuditScope")}
    assert owned <= set(SCOPED_MODELS)
    for model in SCOPED_MODELS:
        assert hasattr(model.objects, "visible_to"), model
