"""One writer per model (issue 19): every path that writes a contact stores it in the
same normalised form, and every write is audited exactly once, by the actions, with
before and after values for a change."""

import io
from datetime import UTC, datetime

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from ccadmin import audit
from ccadmin.cli import SYSTEM_USERNAME
from ccadmin.models import AuditScope, Membership, Tenant
from contacts import actions
from contacts.models import Activity, Company, Contact, Email
from interactions.routing import route_interaction
from partitions.models import ClientPartition
from services.models import GatewayToken, Service
from tests import factories
from tests.import_steps import admin_import

# How a person types the contact, and how it must be stored whoever writes it.
TYPED = {
    "first_name": "Taro",
    "last_name": "Yamada",
    "email": " Taro.Yamada@Example.COM ",
    "phone": "090-1111-2222",
}
STORED = {
    "first_name": "Taro",
    "last_name": "Yamada",
    "email": "taro.yamada@example.com",
    "phone": "+819011112222",
}
CSV_HEADER = "first name,last name,email,phone\n"
CSV_ROW = "{first_name},{last_name},{email},{phone}\n".format(**TYPED)


@pytest.fixture
def acme(tenant):
    """A client with a phone line and an email service."""
    partition = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    lines = [
        ("Acme Line", Service.Type.INBOUND_VOICE, ""),
        ("Acme Email", Service.Type.EMAIL, "acme@sakura.example"),
    ]
    for name, kind, address in lines:
        factories.ServiceFactory(
            tenant=tenant,
            name=name,
            type=kind,
            client_partition=partition,
            email_address=address,
        )
    return partition


def by_action(tenant, acme, admin_user, **_clients):
    return actions.create_contact(
        tenant, actor=admin_user, partition_id=acme.pk, **TYPED
    )


def by_agent_desktop(tenant, acme, agent_client, **_clients):
    response = agent_client.post(
        reverse("agent:new_contact"), {"client_partition": acme.pk, **TYPED}
    )
    assert response.status_code == 302, response.content
    return Contact.objects.get(tenant=tenant)


def by_admin_form(tenant, acme, admin_client, **_clients):
    response = admin_client.post(
        reverse("admin:contacts_contact_add"), {"partition": acme.pk, **TYPED}
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    return Contact.objects.get(tenant=tenant)


def by_import_command(tenant, acme, tmp_path, **_clients):
    path = tmp_path / "contacts.csv"
    path.write_text(CSV_HEADER + CSV_ROW, encoding="utf-8")
    call_command(
        "import_contacts", str(path), "--tenant", tenant.slug, "--partition", "Acme",
        stdout=io.StringIO(), stderr=io.StringIO(),
    )  # fmt: skip
    return Contact.objects.get(tenant=tenant)


def by_import_page(tenant, acme, admin_client, **_clients):
    upload = SimpleUploadedFile("contacts.csv", (CSV_HEADER + CSV_ROW).encode())
    response = admin_import(
        admin_client,
        {"partition": acme.pk, "encoding": "utf-8-sig", "file": upload},
    )
    assert response.context["result"].imported == 1
    return Contact.objects.get(tenant=tenant)


def routed_contact(tenant, **interaction) -> Contact:
    routed = route_interaction(tenant, sender_name="Taro Yamada", **interaction)
    return Contact.objects.get(pk=routed.contact_id)


def by_routed_email(tenant, acme, **_clients):
    return routed_contact(
        tenant,
        service="Acme Email",
        channel="email",
        sender=TYPED["email"],
        recipients=["acme@sakura.example"],
        message_id="<m1@example.jp>",
    )


def by_routed_call(tenant, acme, **_clients):
    return routed_contact(
        tenant, service="Acme Line", channel="voice", sender=TYPED["phone"]
    )


# (writer, the fields it carries): an email or a call carries one way to reach you.
WRITERS = [
    (by_action, ["first_name", "last_name", "email", "phone"]),
    (by_agent_desktop, ["first_name", "last_name", "email", "phone"]),
    (by_admin_form, ["first_name", "last_name", "email", "phone"]),
    (by_import_command, ["first_name", "last_name", "email", "phone"]),
    (by_import_page, ["first_name", "last_name", "email", "phone"]),
    (by_routed_email, ["first_name", "last_name", "email"]),
    (by_routed_call, ["first_name", "last_name", "phone"]),
]
STORING_BOTH = [writer for writer, fields in WRITERS if len(fields) == 4]


@pytest.fixture
def paths(tenant, acme, admin_user, admin_client, agent_client, tmp_path) -> dict:
    """What the writers need: the tenant, its client, a person on each screen."""
    return {
        "tenant": tenant,
        "acme": acme,
        "admin_user": admin_user,
        "admin_client": admin_client,
        "agent_client": agent_client,
        "tmp_path": tmp_path,
    }


@pytest.mark.parametrize(
    ("writer", "fields"), WRITERS, ids=[w.__name__ for w, _f in WRITERS]
)
def test_every_path_stores_the_same_contact(tenant, acme, paths, writer, fields):
    # when
    contact = writer(**paths)

    # then: the row as stored, read back from the database
    contact.refresh_from_db()
    assert (contact.tenant, contact.partition) == (tenant, acme)
    assert {name: getattr(contact, name) for name in fields} == {
        name: STORED[name] for name in fields
    }


@pytest.mark.parametrize("writer", STORING_BOTH, ids=[w.__name__ for w in STORING_BOTH])
def test_a_call_and_an_email_from_the_typed_contact_find_it(tenant, paths, writer):
    """The four-writers bug: an imported 090-1111-2222 was not found by a call from
    090-1111-2222, and routing created a second contact."""
    contact = writer(**paths)

    call = route_interaction(
        tenant, service="Acme Line", channel="voice", sender="090-1111-2222"
    )
    mail = route_interaction(
        tenant,
        service="Acme Email",
        channel="email",
        sender="TARO.YAMADA@example.com",
        message_id="<again@example.jp>",
    )

    assert (call.contact_id, mail.contact_id) == (contact.pk, contact.pk)
    assert not call.contact_created and not mail.contact_created
    assert Contact.objects.filter(tenant=tenant).count() == 1


def test_a_bad_phone_is_a_field_error_on_every_path(
    tenant, acme, admin_user, admin_client, agent_client, tmp_path
):
    bad = {**TYPED, "phone": "call me"}
    admin = admin_client.post(
        reverse("admin:contacts_contact_add"), {"partition": acme.pk, **bad}
    )
    assert admin.status_code == 200
    assert "phone" in admin.context["adminform"].form.errors
    agent = agent_client.post(
        reverse("agent:new_contact"), {"client_partition": acme.pk, **bad}
    )
    assert agent.status_code == 200
    assert "phone" in agent.context["form"].errors
    upload = SimpleUploadedFile(
        "contacts.csv", (CSV_HEADER + "Taro,Yamada,,call me\n").encode()
    )
    imported = admin_import(
        admin_client,
        {"partition": acme.pk, "encoding": "utf-8-sig", "file": upload},
    )
    assert "Phone: Enter a phone number" in str(imported.context["result"].errors[0])
    assert not Contact.objects.exists()


def test_save_refuses_a_phone_no_path_could_store(tenant):
    """A caller that skips full_clean() cannot store a number routing never matches."""
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        Contact(tenant=tenant, phone="call me").save()
    assert "phone" in refused.value.message_dict
    assert not Contact.objects.exists()


# ----- one audit entry per write ----------------------------------------------------


def entries_since(pk: int) -> list[LogEntry]:
    return list(LogEntry.objects.filter(pk__gt=pk).order_by("pk"))


def last_entry_pk() -> int:
    last = LogEntry.objects.order_by("-pk").first()
    return last.pk if last else 0


# (writer, content type of the one entry, its flag, who writes it: None = the person)
AUDITED_WRITES = [
    (by_action, Contact, ADDITION, None),
    (by_agent_desktop, Contact, ADDITION, None),
    (by_admin_form, Contact, ADDITION, None),
    (by_import_command, ClientPartition, CHANGE, SYSTEM_USERNAME),
    (by_import_page, ClientPartition, CHANGE, None),
    (by_routed_email, Contact, ADDITION, SYSTEM_USERNAME),
    (by_routed_call, Contact, ADDITION, SYSTEM_USERNAME),
]


@pytest.mark.parametrize(
    ("writer", "model", "flag", "who"),
    AUDITED_WRITES,
    ids=[w.__name__ for w, *_rest in AUDITED_WRITES],
)
def test_every_path_writes_exactly_one_audit_entry(
    tenant, paths, writer, model, flag, who
):
    # given: the people exist before the write (an agent's sign-in writes nothing)
    before = last_entry_pk()

    # when
    writer(**paths)

    # then: one entry, for the right object, scoped to the tenant
    entries = entries_since(before)
    assert len(entries) == 1, [(e.content_type, e.change_message) for e in entries]
    entry = entries[0]
    assert entry.content_type == ContentType.objects.get_for_model(model)
    assert entry.action_flag == flag
    if who is not None:
        assert entry.user.username == who
    assert AuditScope.objects.get(entry=entry).tenant == tenant


def test_a_known_sender_writes_no_audit_entry(tenant, acme):
    by_routed_call(tenant, acme)
    before = last_entry_pk()
    by_routed_call(tenant, acme)
    assert entries_since(before) == []


def test_a_change_entry_carries_the_values_before_and_after(
    tenant, admin_user, admin_client
):
    contact = actions.create_contact(
        tenant, actor=admin_user, partition_id=None, **TYPED
    )
    contact.phone = "03-1234-5678"
    contact.title = "Manager"

    actions.change_contact(contact, actor=admin_user)

    entry = LogEntry.objects.filter(action_flag=CHANGE).get()
    assert audit.change_values(entry) == {
        "title": ("", "Manager"),
        "phone": ("+819011112222", "+81312345678"),
    }
    # The stock History still reads it.
    assert entry.get_change_message() == "Changed Title and Phone."
    # The Audit trail shows the values.
    page = admin_client.get(reverse("admin:ccadmin_auditentry_change", args=[entry.pk]))
    assert "+819011112222" in page.text and "+81312345678" in page.text


# ----- the admin: one entry per add, change and delete, by the actions --------------


def contact_data(tenant):
    return {"first_name": "Aiko", "last_name": "Tanaka", "phone": "03-1111-2222"}


def email_data(tenant):
    return {
        "direction": "inbound",
        "sender": "Aiko <Aiko@Example.jp>",
        "recipients": "support@example.com",
        "subject": "Question",
        "sent_at_0": "2026-04-01",
        "sent_at_1": "09:30:00",
    }


def activity_data(tenant):
    return {
        "channel": "voice",
        "direction": "inbound",
        "occurred_at_0": "2026-04-01",
        "occurred_at_1": "09:30:00",
        "summary": "Call",
    }


# (model, admin URL name, data for the add form, the field changed and its new value)
ADMIN_MODELS = [
    (Company, "contacts_company", lambda t: {"name": "Globex"}, "name", "Globex KK"),
    (Contact, "contacts_contact", contact_data, "title", "Manager"),
    (Email, "contacts_email", email_data, "subject", "Question again"),
    (Activity, "contacts_activity", activity_data, "summary", "Call back"),
    (
        Service,
        "services_service",
        lambda t: {"name": "Claims Line", "type": "inbound_voice"},
        "name",
        "Claims Line 2",
    ),
    (
        GatewayToken,
        "services_gatewaytoken",
        lambda t: {"name": "PBX Tokyo", "active": "on"},
        "name",
        "PBX Osaka",
    ),
]


@pytest.mark.parametrize(
    ("model", "url_name", "data", "field", "value"),
    ADMIN_MODELS,
    ids=[m.__name__ for m, *_rest in ADMIN_MODELS],
)
def test_admin_add_change_delete_write_one_entry_each(
    tenant, admin_client, model, url_name, data, field, value
):
    form = data(tenant)

    # add
    before = last_entry_pk()
    response = admin_client.post(reverse(f"admin:{url_name}_add"), form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    obj = model.objects.get(tenant=tenant)
    [added] = entries_since(before)
    assert (added.action_flag, added.object_id) == (ADDITION, str(obj.pk))

    # change
    before = last_entry_pk()
    response = admin_client.post(
        reverse(f"admin:{url_name}_change", args=[obj.pk]), {**form, field: value}
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    [changed] = entries_since(before)
    assert changed.action_flag == CHANGE
    old, new = audit.change_values(changed)[field]
    assert new == value and old != value

    # delete
    before = last_entry_pk()
    response = admin_client.post(
        reverse(f"admin:{url_name}_delete", args=[obj.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    [deleted] = entries_since(before)
    assert (deleted.action_flag, deleted.object_id) == (DELETION, str(obj.pk))
    assert AuditScope.objects.get(entry=deleted).tenant == tenant
    assert not model.objects.filter(pk=obj.pk).exists()


def test_admin_bulk_delete_goes_through_the_action(tenant, admin_client):
    contacts = factories.ContactFactory.create_batch(3, tenant=tenant)
    before = last_entry_pk()
    response = admin_client.post(
        reverse("admin:contacts_contact_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [c.pk for c in contacts],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert not Contact.objects.exists()
    entries = entries_since(before)
    assert sorted(int(e.object_id) for e in entries) == sorted(c.pk for c in contacts)
    assert {e.action_flag for e in entries} == {DELETION}


def test_tenant_and_membership_admin_write_one_entry_each(provider_client):
    before = last_entry_pk()
    response = provider_client.post(
        reverse("admin:ccadmin_tenant_add"),
        {
            "name": " Kyoto CC ",
            "slug": "Kyoto",
            "client_partition_limit": "",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    kyoto = Tenant.objects.get(slug="kyoto")
    assert kyoto.name == "Kyoto CC"
    [added] = entries_since(before)
    assert (added.action_flag, added.object_id) == (ADDITION, str(kyoto.pk))

    # Tenancy > People adds the account and its membership: one entry, on the
    # membership, in the tenant's trail.
    before = last_entry_pk()
    response = provider_client.post(
        reverse("admin:ccadmin_membership_add"),
        {
            "tenant": kyoto.pk,
            "username": "kenji",
            "role": "Agents",
            "all_clients": "on",
            "sign_in": "password",
            "password1": "Kumo-no-ue-42!",
            "password2": "Kumo-no-ue-42!",
        },
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user__username="kenji")
    user = membership.user
    [added] = entries_since(before)
    assert (added.action_flag, added.object_id) == (ADDITION, str(membership.pk))
    assert AuditScope.objects.get(entry=added).tenant == kyoto

    before = last_entry_pk()
    response = provider_client.post(
        reverse("admin:ccadmin_tenant_change", args=[kyoto.pk]),
        {
            "name": "Kyoto CC",
            "slug": "kyoto",
            "client_partition_limit": "3",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "1",
            "memberships-0-id": membership.pk,
            "memberships-0-tenant": kyoto.pk,
            "memberships-0-user": user.pk,
            "memberships-0-DELETE": "on",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    entries = entries_since(before)
    assert [(e.action_flag, e.content_type.model) for e in entries] == [
        (CHANGE, "tenant"),
        (DELETION, "membership"),
    ]
    assert audit.change_values(entries[0]) == {"client_partition_limit": (None, 3)}
    assert not Membership.objects.filter(user=user).exists()


def test_routed_email_is_stored_with_lower_case_addresses(tenant, acme):
    routed = route_interaction(
        tenant,
        service="",
        channel="email",
        sender="Taro Yamada <Taro.Yamada@Example.COM>",
        recipients=["ACME@Sakura.example"],
        occurred_at=datetime(2026, 4, 1, tzinfo=UTC),
    )
    email = Email.objects.get(pk=routed.email_id)
    assert email.sender == "Taro Yamada <taro.yamada@example.com>"
    assert email.recipients == "acme@sakura.example"


def test_migration_normalises_contacts_stored_before_the_one_writer(tenant, acme):
    """Rows the importer stored raw before issue 19 are found by routing after the
    migration."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "contacts.migrations.0003_normalise_stored_contacts"
    )
    raw = factories.ContactFactory(tenant=tenant, partition=acme)
    odd = factories.ContactFactory(tenant=tenant, partition=acme)
    # given: stored as typed, the way the old importer did (update() skips save())
    Contact.objects.filter(pk=raw.pk).update(
        email=" Taro.Yamada@Example.COM ", phone="090-1111-2222"
    )
    Contact.objects.filter(pk=odd.pk).update(phone="ask reception")

    migration.normalise_contacts(apps, None)

    raw.refresh_from_db()
    odd.refresh_from_db()
    assert (raw.email, raw.phone) == (STORED["email"], STORED["phone"])
    assert odd.phone == "ask reception"  # no stored form: left for a person to fix
    call = route_interaction(
        tenant, service="Acme Line", channel="voice", sender="090-1111-2222"
    )
    assert call.contact_id == raw.pk


def test_receive_interactions_audits_new_contacts_under_its_user(
    tenant, acme, admin_user, tmp_path
):
    path = tmp_path / "calls.jsonl"
    path.write_text(
        '{"service": "Acme Line", "channel": "voice", "from": "090-1111-2222"}\n',
        encoding="utf-8",
    )
    before = last_entry_pk()

    call_command(
        "receive_interactions", "--tenant", tenant.slug, "--user",
        admin_user.username, str(path), stdout=io.StringIO(),
    )  # fmt: skip

    [entry] = entries_since(before)
    contact = Contact.objects.get(tenant=tenant)
    assert (entry.action_flag, entry.object_id) == (ADDITION, str(contact.pk))
    assert entry.user == admin_user
    assert contact.phone == STORED["phone"]
