"""Client scope (issue 12): one function, ccadmin.tenancy.client_scope, decides which
clients of their tenant a person works for, and every path follows it through
`visible_to` (ccadmin.scoping) and the actions.

A member of chosen clients sees those clients' rows only, none of no client; a
client they do not work for answers like another tenant's. The canary at the end
fails when a model holding client data can be reached without declaring how it
narrows to clients.
"""

import io
import json

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.models import CHANGE
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import ForeignKey
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ccadmin import actions as ccadmin_actions
from ccadmin import audit
from ccadmin.admin_base import TenantScopedAdmin
from ccadmin.models import AuditEntry, Membership
from ccadmin.roles import CLIENT_SUPERVISORS, ensure_roles
from ccadmin.scoping import UNDECLARED, client_field_of
from ccadmin.tenancy import client_scope, forget_scope
from contacts import actions as contact_actions
from contacts.models import Activity, Company, Contact, Email
from partitions.models import ClientAssignment, ClientPartition
from services.models import GatewayToken, Service
from tests import factories

CLIENT_DATA = [ClientPartition, Service, Company, Contact, Email, Activity]


@pytest.fixture
def tenant(db):
    """The tenant the commands below name as `--tenant sakura`."""
    return factories.TenantFactory(name="Sakura BPO", slug="sakura")


@pytest.fixture
def acme(tenant):
    """Client A, with its data and an assigned service."""
    partition = factories.client_with_data(tenant, "Acme", contacts=2)
    factories.ServiceFactory(
        tenant=tenant, name="Acme Line", client_partition=partition
    )
    return partition


@pytest.fixture
def globex(tenant):
    """Client B of the same tenant, with its data and an assigned service."""
    partition = factories.client_with_data(tenant, "Globex", contacts=2)
    factories.ServiceFactory(
        tenant=tenant, name="Globex Line", client_partition=partition
    )
    return partition


@pytest.fixture
def no_client(tenant):
    """Rows of the tenant that belong to no client: a contact with its history, an
    unassigned service, a gateway token."""
    contact = factories.ContactFactory(tenant=tenant, first_name="Nobody")
    email = factories.EmailFactory(tenant=tenant, contact=contact)
    factories.ActivityFactory(tenant=tenant, contact=contact, email=email)
    factories.CompanyFactory(tenant=tenant, name="Independent")
    factories.ServiceFactory(tenant=tenant, name="General Enquiries")
    factories.gateway_token(tenant)
    return contact


@pytest.fixture
def everything(acme, globex, no_client):
    """Both clients, the rows of no client, and an audit entry about each client."""
    actor = factories.administrator(acme.tenant)
    audit.log_addition(actor, acme)
    audit.log_addition(actor, globex)
    audit.log_event(actor, acme.tenant, "Imported contacts (no client)")
    return acme, globex


def clients_of_rows(model, user) -> set:
    """The clients (None: no client) of the rows of `model` the user sees."""
    rows = model.objects.visible_to(user)
    field = {
        ClientPartition: "pk",
        Service: "client_partition",
        AuditEntry: "audit_scope__client_partition",
    }.get(model, "partition")
    return set(rows.values_list(field, flat=True))


# ----- the function ---------------------------------------------------------------


def test_client_scope_per_role(tenant, acme, globex):
    superuser = factories.superuser()
    restricted_superuser = factories.superuser()
    Membership.objects.create(
        user=restricted_superuser, tenant=tenant, all_client_partitions=False
    )
    unplaced = factories.unplaced_administrator()
    assert client_scope(superuser) is None
    # The service provider sees everything, membership or not (decided, issue 12).
    assert client_scope(restricted_superuser) is None
    assert client_scope(factories.administrator(tenant)) is None
    assert client_scope(factories.agent(tenant)) is None
    assert client_scope(factories.agent(tenant, clients=[acme])) == {acme.pk}
    assert client_scope(
        factories.client_supervisor(tenant, clients=[acme, globex])
    ) == {acme.pk, globex.pk}
    assert client_scope(factories.client_supervisor(tenant)) == frozenset()
    assert client_scope(unplaced) == frozenset()
    assert client_scope(AnonymousUser()) == frozenset()


def test_client_scope_is_one_query_then_cached_on_the_user(tenant, acme):
    users = type(factories.agent(tenant)).objects.select_related("membership__tenant")
    # Loaded as ccadmin.auth.TenantModelBackend loads the user of each request.
    agent = users.get(pk=factories.agent(tenant, clients=[acme]).pk)
    every = users.get(pk=factories.agent(tenant).pk)
    with CaptureQueriesContext(connection) as captured:
        assert client_scope(agent) == {acme.pk}
        assert client_scope(agent) == {acme.pk}
        list(Contact.objects.visible_to(agent))
        list(Company.objects.visible_to(agent))
    # One for the clients, one per list: the scope is read once.
    assert len(captured) == 3
    with CaptureQueriesContext(connection) as captured:
        assert client_scope(every) is None
    assert len(captured) == 0  # the membership came with the user


def scope_queries(captured) -> int:
    return sum("clientassignment" in q["sql"].lower() for q in captured)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/contacts/contact/",
        "/admin/contacts/email/",
        "/admin/partitions/clientpartition/",
        "/admin/ccadmin/auditentry/",
        "/agent/",
        "/agent/client-partitions.json",
    ],
)
def test_one_scope_query_per_request_at_most(everything, tenant, url):
    acme, _globex = everything
    supervisor = factories.signed_in(
        factories.client_supervisor(tenant, clients=[acme])
    )
    every = factories.signed_in(factories.administrator(tenant))
    with CaptureQueriesContext(connection) as captured:
        assert supervisor.get(url).status_code == 200
    assert scope_queries(captured) == 1
    with CaptureQueriesContext(connection) as captured:
        assert every.get(url).status_code == 200
    assert scope_queries(captured) == 0


def test_agent_json_of_a_restricted_agent_costs_one_query_more(
    tenant, acme, globex, django_assert_num_queries
):
    client = factories.signed_in(factories.agent(tenant, clients=[acme]))
    client.get("/agent/client-partitions.json")  # fills the tenant's cache
    # Session, user with tenant, the person's clients: the list is cached.
    with django_assert_num_queries(3):
        response = client.get("/agent/client-partitions.json")
    assert [c["name"] for c in response.json()["client_partitions"]] == ["Acme"]


# ----- what each row's model shows --------------------------------------------------


@pytest.mark.parametrize("model", CLIENT_DATA, ids=lambda m: m.__name__)
def test_member_of_one_client_sees_that_clients_rows_only(everything, tenant, model):
    acme, _globex = everything
    agent = factories.agent(tenant, clients=[acme])
    assert clients_of_rows(model, agent) == {acme.pk}


@pytest.mark.parametrize("model", [*CLIENT_DATA, AuditEntry], ids=lambda m: m.__name__)
def test_member_of_every_client_sees_every_client_and_none(everything, tenant, model):
    acme, globex = everything
    seen = clients_of_rows(model, factories.agent(tenant))
    assert {acme.pk, globex.pk} <= seen
    if model is not ClientPartition:
        assert None in seen  # the rows of no client


@pytest.mark.parametrize("model", [*CLIENT_DATA, AuditEntry], ids=lambda m: m.__name__)
def test_member_of_no_client_sees_no_clients_rows(everything, tenant, model):
    supervisor = factories.client_supervisor(tenant, clients=[])
    assert not model.objects.visible_to(supervisor).exists()


def test_superuser_with_a_restricted_membership_still_sees_everything(
    everything, tenant
):
    acme, globex = everything
    provider = factories.superuser()
    membership = Membership.objects.create(user=provider, tenant=tenant)
    ccadmin_actions.set_person_clients(membership, [acme], actor=None)
    assert clients_of_rows(Contact, provider) == {acme.pk, globex.pk, None}


def test_gateway_tokens_and_people_of_a_restricted_member(everything, tenant):
    acme, _globex = everything
    agent = factories.agent(tenant, clients=[acme])
    factories.agent(tenant)  # a colleague
    assert not GatewayToken.objects.visible_to(agent).exists()
    assert [m.user for m in Membership.objects.visible_to(agent)] == [agent]
    assert GatewayToken.objects.visible_to(factories.administrator(tenant)).exists()


def test_audit_trail_of_a_restricted_member_holds_their_clients_entries(
    everything, tenant
):
    acme, globex = everything
    supervisor = factories.client_supervisor(tenant, clients=[acme])
    contact = Contact.objects.filter(partition=acme).first()
    entry = audit.log_change(supervisor, [contact], ["Email"])[0]
    seen = set(AuditEntry.objects.visible_to(supervisor).values_list("pk", flat=True))
    assert entry.pk in seen
    # Client B's entry, the tenant's own (an import of no client) and the entry
    # about the supervisor's membership are not theirs.
    assert clients_of_rows(AuditEntry, supervisor) == {acme.pk}
    assert entry.audit_scope.client_partition_id == acme.pk
    token, _key = factories.gateway_token(tenant, name="PBX 2")
    assert audit.log_addition(None, token).audit_scope.client_partition_id is None
    assert audit.log_addition(None, globex).audit_scope.client_partition_id == (
        globex.pk
    )


# ----- the role -------------------------------------------------------------------


def test_client_supervisors_role_permissions(db):
    group = ensure_roles()[CLIENT_SUPERVISORS]
    granted = {
        f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()
    }
    contacts = {
        f"contacts.{verb}_{model}"
        for model in ("company", "contact", "email", "activity")
        for verb in ("add", "change", "delete", "view")
    }
    assert granted == {
        "partitions.change_clientpartition",
        "partitions.view_clientpartition",
        "services.view_service",
        "ccadmin.view_auditentry",
        # their own personal API tokens (the tenant's: administrators only)
        "ccadmin.add_apitoken",
        "ccadmin.change_apitoken",
        "ccadmin.view_apitoken",
        *contacts,
    }


def test_client_supervisor_is_staff_of_their_clients_in_the_admin(everything, tenant):
    acme, _globex = everything
    client = factories.signed_in(factories.client_supervisor(tenant, clients=[acme]))
    page = client.get(reverse("admin:partitions_clientpartition_changelist"))
    assert [p.name for p in page.context["cl"].result_list] == ["Acme"]
    assert "usages" not in page.context or page.context["usages"] == []
    # Properties and Enabled of their own client; no adding, no deleting.
    response = client.post(
        reverse("admin:partitions_clientpartition_change", args=[acme.pk]),
        {"name": "Acme", "description": "Renewed", "enabled": "on"},
    )
    assert response.status_code == 302
    acme.refresh_from_db()
    assert acme.description == "Renewed"
    assert (
        client.get(reverse("admin:partitions_clientpartition_add")).status_code == 403
    )
    delete = reverse("admin:partitions_clientpartition_delete", args=[acme.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert ClientPartition.objects.filter(pk=acme.pk).exists()
    services = client.get(reverse("admin:services_service_changelist"))
    assert [s.name for s in services.context["cl"].result_list] == ["Acme Line"]
    assert client.get(reverse("admin:services_service_add")).status_code == 403


def test_restricted_admin_forms_require_one_of_their_clients(everything, tenant):
    acme, _globex = everything
    client = factories.signed_in(factories.client_supervisor(tenant, clients=[acme]))
    contacts = Contact.objects.count()
    response = client.post(
        reverse("admin:contacts_contact_add"), {"first_name": "Eve", "partition": ""}
    )
    assert "partition" in response.context["adminform"].form.errors
    response = client.post(
        reverse("admin:contacts_contact_add"),
        {"first_name": "Eve", "partition": acme.pk},
    )
    assert response.status_code == 302
    assert Contact.objects.count() == contacts + 1
    # The client filter offers their clients, and no "No client".
    page = client.get(reverse("admin:contacts_contact_changelist"))
    text = page.text
    assert "Globex" not in text
    assert "No client" not in text


# ----- writes ---------------------------------------------------------------------


def test_set_person_clients_refuses_another_tenants_client(tenant, other_tenant, acme):
    agent = factories.agent(tenant)
    theirs = factories.ClientPartitionFactory(tenant=other_tenant, name="Northwind")
    entries = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as error:
        ccadmin_actions.set_person_clients(agent.membership, [acme, theirs], actor=None)
    assert "clients" in error.value.message_dict
    agent.membership.refresh_from_db()
    assert agent.membership.all_client_partitions
    assert not ClientAssignment.objects.exists()
    assert AuditEntry.objects.count() == entries


def test_set_person_clients_is_audited_and_all_clients_empties_the_list(
    tenant, acme, globex
):
    administrator = factories.administrator(tenant)
    membership = factories.agent(tenant).membership
    ccadmin_actions.set_person_clients(membership, [globex, acme], actor=administrator)
    entry = AuditEntry.objects.filter(action_flag=CHANGE).latest("pk")
    assert audit.change_values(entry) == {
        "all_client_partitions": (True, False),
        "client_partitions": ([], ["Acme", "Globex"]),
    }
    ccadmin_actions.set_person_clients(membership, None, actor=administrator)
    membership.refresh_from_db()
    assert membership.all_client_partitions
    assert not membership.client_partitions.exists()


def test_client_assignment_model_refuses_another_tenants_client(tenant, other_tenant):
    membership = factories.agent(tenant).membership
    theirs = factories.ClientPartitionFactory(tenant=other_tenant)
    with pytest.raises(ValidationError) as error:
        ClientAssignment(membership=membership, client_partition=theirs).full_clean()
    assert "client_partition" in error.value.message_dict


def test_deleting_a_client_removes_its_assignments(tenant, acme, globex):
    agent = factories.agent(tenant, clients=[acme, globex])
    globex.delete()
    forget_scope(agent)
    assert client_scope(agent) == {acme.pk}


def test_create_contact_takes_the_agents_clients(tenant, acme, globex):
    agent = factories.agent(tenant, clients=[acme])
    with pytest.raises(ValidationError) as other_client:
        contact_actions.create_contact(
            tenant, actor=agent, partition_id=globex.pk, first_name="Eve"
        )
    with pytest.raises(ValidationError) as nowhere:
        contact_actions.create_contact(
            tenant, actor=agent, partition_id=999_999, first_name="Eve"
        )
    # The same answer as for a client that does not exist: no oracle.
    assert other_client.value.messages == nowhere.value.messages
    with pytest.raises(ValidationError) as no_client:
        contact_actions.create_contact(
            tenant, actor=agent, partition_id=None, first_name="Eve"
        )
    assert "partition" in no_client.value.message_dict
    assert not Contact.objects.filter(first_name="Eve").exists()
    made = contact_actions.create_contact(
        tenant, actor=agent, partition_id=acme.pk, first_name="Eve"
    )
    assert made.partition == acme


@pytest.mark.parametrize("operation", ["add", "change-from", "change-to", "delete"])
def test_writes_outside_the_actors_clients_are_refused(tenant, acme, globex, operation):
    supervisor = factories.client_supervisor(tenant, clients=[acme])
    theirs = Contact.objects.filter(partition=globex).first()
    mine = Contact.objects.filter(partition=acme).first()
    before = list(Contact.objects.order_by("pk").values())
    with pytest.raises(ValidationError):
        if operation == "add":
            contact_actions.add_contact(
                Contact(tenant=tenant, first_name="Eve"), actor=supervisor
            )
        elif operation == "change-from":
            theirs.first_name = "Changed"
            contact_actions.change_contact(theirs, actor=supervisor)
        elif operation == "change-to":
            mine.partition, mine.company = globex, None
            contact_actions.change_contact(mine, actor=supervisor)
        else:
            contact_actions.delete_contacts([theirs], actor=supervisor)
    assert list(Contact.objects.order_by("pk").values()) == before


# ----- the agent desktop ------------------------------------------------------------


def test_restricted_agent_desktop_offers_their_clients_only(everything, tenant):
    acme, _globex = everything
    client = factories.signed_in(factories.agent(tenant, clients=[acme]))
    page = client.get(reverse("agent:desktop"))
    choices = [
        v for v, _label in page.context["form"].fields["client_partition"].choices
    ]
    assert choices == [str(acme.pk)]  # no "No client"
    assert page.context["chosen"] == acme
    assert {c.partition for c in page.context["page"]} == {acme}
    none = client.get(reverse("agent:desktop"), {"client_partition": ""})
    assert none.context["page"] is None
    form = client.get(reverse("agent:new_contact"))
    assert [v for v, _l in form.context["form"].fields["client_partition"].choices] == [
        str(acme.pk)
    ]
    response = client.post(
        reverse("agent:new_contact"), {"client_partition": "", "first_name": "Eve"}
    )
    assert response.status_code == 200
    assert not Contact.objects.filter(first_name="Eve").exists()


def test_agent_of_no_client_is_told_so(tenant, acme):
    client = factories.signed_in(factories.agent(tenant, clients=[]))
    page = client.get(reverse("agent:desktop"))
    assert page.context["page"] is None
    assert "You work for no client yet" in page.text
    assert client.get(reverse("agent:client_partitions_json")).json() == {
        "client_partitions": []
    }


def test_cached_client_list_is_per_tenant_and_narrowed_per_person(tenant, acme, globex):
    restricted = factories.signed_in(factories.agent(tenant, clients=[globex]))
    every = factories.signed_in(factories.agent(tenant))
    url = reverse("agent:client_partitions_json")

    def names(client):
        return [
            c["name"] for c in json.loads(client.get(url).text)["client_partitions"]
        ]

    assert names(restricted) == ["Globex"]
    assert names(every) == ["Acme", "Globex"]
    assert names(restricted) == ["Globex"]


# ----- commands ---------------------------------------------------------------------


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_command_as_a_supervisor_of_another_client_finds_no_client(
    tenant, acme, globex, tmp_path
):
    factories.client_supervisor(tenant, clients=[acme], username="sup")
    path = tmp_path / "c.csv"
    path.write_text("first name,last name\nEve,Intruder\n")
    contacts = Contact.objects.count()
    with pytest.raises(CommandError, match='no client partition named "Globex"'):
        run("import_contacts", str(path), "--tenant", "sakura", "--user", "sup",
            "--partition", "Globex")  # fmt: skip
    with pytest.raises(CommandError, match="Choose one of the clients you work for"):
        run("import_contacts", str(path), "--tenant", "sakura", "--user", "sup")
    assert Contact.objects.count() == contacts
    run("import_contacts", str(path), "--tenant", "sakura", "--user", "sup",
        "--partition", "Acme")  # fmt: skip
    assert Contact.objects.filter(partition=acme, first_name="Eve").exists()


@pytest.mark.parametrize("subcommand", ["export", "disable"])
def test_partitions_command_as_a_supervisor_of_another_client_finds_no_client(
    tenant, acme, globex, tmp_path, subcommand
):
    factories.client_supervisor(tenant, clients=[acme], username="sup")
    extra = ["--output", str(tmp_path / "x.zip")] if subcommand == "export" else []
    entries = AuditEntry.objects.count()
    with pytest.raises(CommandError, match='no client partition named "Globex"'):
        run("partitions", subcommand, "Globex", "--tenant", "sakura", "--user", "sup",
            *extra)  # fmt: skip
    assert not (tmp_path / "x.zip").exists()
    globex.refresh_from_db()
    assert globex.enabled
    assert AuditEntry.objects.count() == entries
    run("partitions", subcommand, "Acme", "--tenant", "sakura", "--user", "sup",
        *extra)  # fmt: skip
    assert AuditEntry.objects.count() == entries + 1


# ----- the canary -------------------------------------------------------------------

# Models holding client data that are reached only through another, scoped, model:
# each reason says through which. A new model belongs here only with its reason.
REACHED_THROUGH_A_SCOPED_MODEL = {
    "contacts.EmailSource": "an email's raw source: read only through its Email, "
    "whose admin page and export are scoped",
    "partitions.ClientAssignment": "who works for which client: written by "
    "ccadmin.actions.set_person_clients, read as Membership.client_partitions "
    "through Membership.objects.visible_to and client_scope",
    "ccadmin.AuditScope": "the audit trail's own scope: read only through "
    "AuditEntry.objects.visible_to",
}


def holds_client_data(model, known: set) -> bool:
    return any(
        isinstance(field, ForeignKey) and field.related_model in known
        for field in model._meta.concrete_fields
    )


def client_data_models() -> set:
    """Every model holding client data: the client partitions, and every model
    with a foreign key (or one-to-one) to a model holding client data."""
    known = {ClientPartition}
    while True:
        more = {
            model
            for model in apps.get_models()
            if model not in known and holds_client_data(model, known)
        }
        if not more:
            return known
        known |= more


def test_canary_every_model_holding_client_data_narrows_to_clients():
    found = client_data_models()
    assert {Contact, Email, Activity, Company, Service} <= found  # the walk works
    undeclared = sorted(
        model._meta.label
        for model in found
        if client_field_of(model) is UNDECLARED
        and model._meta.label not in REACHED_THROUGH_A_SCOPED_MODEL
    )
    assert undeclared == [], (
        "These models hold client data but their default manager does not say how "
        "it narrows to a member's clients (a TenantScopedQuerySet subclass with "
        "client_field): " + ", ".join(undeclared)
    )
    stale = set(REACHED_THROUGH_A_SCOPED_MODEL) - {m._meta.label for m in found}
    assert not stale


def test_canary_every_tenant_scoped_model_declares_its_clients():
    undeclared = sorted(
        model._meta.label
        for model in apps.get_models(include_auto_created=True)
        if hasattr(model._default_manager, "visible_to")
        and client_field_of(model) is UNDECLARED
    )
    assert undeclared == []


def test_canary_every_admin_of_client_data_shows_a_supervisor_their_clients_only(
    everything, tenant
):
    acme, _globex = everything
    supervisor = factories.client_supervisor(tenant, clients=[acme])
    request = RequestFactory().get("/admin/")
    request.user = supervisor
    found = client_data_models() | {AuditEntry}
    checked = []
    for model, model_admin in admin.site._registry.items():
        if model not in found:
            continue
        assert isinstance(model_admin, TenantScopedAdmin) or model is AuditEntry
        rows = model_admin.get_queryset(request)
        if model is AuditEntry:
            clients = set(rows.values_list("audit_scope__client_partition", flat=True))
        else:
            clients = {audit.client_id_of(row) for row in rows}
        assert clients <= {acme.pk}, model
        checked.append(model)
    assert set(checked) >= {*CLIENT_DATA, AuditEntry}


def test_supervisor_exports_and_imports_their_client_only(everything, tenant):
    acme, globex = everything
    client = factories.signed_in(factories.client_supervisor(tenant, clients=[acme]))
    export = reverse("admin:partitions_clientpartition_export", args=[acme.pk])
    response = client.post(export)
    assert response["Content-Type"] == "application/zip"
    page = client.get(reverse("admin:contacts_contact_import"))
    offered = page.context["form"].fields["partition"]
    assert list(offered.queryset) == [acme]
    assert offered.required
    contacts = Contact.objects.count()
    for partition in ("", globex.pk):
        upload = SimpleUploadedFile(
            "c.csv", b"first name,last name\nEve,Intruder\n", content_type="text/csv"
        )
        response = client.post(
            reverse("admin:contacts_contact_import"),
            {"partition": partition, "file": upload, "encoding": "utf-8-sig"},
        )
        assert "partition" in response.context["form"].errors
    assert Contact.objects.count() == contacts
