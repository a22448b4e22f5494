"""interactions.routing.route_interaction: incoming calls, chats and emails go to the
service's BPO client while it is enabled, to no client otherwise, never lost."""

import io
from datetime import UTC, datetime

import pytest

from contacts import actions as contact_actions
from contacts import imports
from contacts.models import Activity, Contact, Email
from interactions.routing import InteractionRejected, route_interaction
from partitions import actions as partition_actions
from partitions.models import ClientPartition
from tests import factories
from tests.live import race


@pytest.fixture
def setup(tenant):
    acme = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    initech = factories.ClientPartitionFactory(
        tenant=tenant, name="Initech", enabled=False
    )
    service = factories.ServiceFactory
    return {
        "acme": acme,
        "initech": initech,
        "acme_line": service(tenant=tenant, name="Acme Line", client_partition=acme),
        "acme_email": service(
            tenant=tenant,
            name="Acme Email",
            type="email",
            client_partition=acme,
            email_address="Acme@Sakura.example",
        ),
        "initech_line": service(
            tenant=tenant, name="Initech Line", client_partition=initech
        ),
        "general": service(tenant=tenant, name="General"),
    }


def call(tenant, service="Acme Line", sender="+81 90-1111-2222", **kw):
    return route_interaction(
        tenant, service=service, channel="voice", sender=sender, **kw
    )


def mail(tenant, service="Acme Email", **kw):
    fields = {
        "sender": "山田 太郎 <taro@example.jp>",
        "recipients": ["acme@sakura.example"],
        "subject": "保険金請求",
        "body": "Hello",
        "message_id": "<m1@example.jp>",
        "occurred_at": datetime(2026, 4, 1, 0, 30, tzinfo=UTC),
    }
    fields.update(kw)
    return route_interaction(tenant, service=service, channel="email", **fields)


def test_call_through_enabled_clients_service_is_assigned_to_it(tenant, setup):
    routed = call(tenant)
    activity = Activity.objects.get(pk=routed.activity_id)
    assert routed.partition == setup["acme"]
    assert (activity.partition, activity.service) == (setup["acme"], setup["acme_line"])
    assert (activity.channel, activity.direction) == ("voice", "inbound")
    contact = activity.contact
    assert (contact.partition, contact.phone) == (setup["acme"], "+819011112222")
    assert routed.contact_created


def test_email_records_email_and_activity_and_contact_in_the_client(tenant, setup):
    routed = mail(tenant)
    email = Email.objects.get(pk=routed.email_id)
    assert email.partition == setup["acme"]
    assert (email.subject, email.message_id) == ("保険金請求", "<m1@example.jp>")
    assert email.sender == "山田 太郎 <taro@example.jp>"
    assert email.sent_at == datetime(2026, 4, 1, 0, 30, tzinfo=UTC)
    activity = Activity.objects.get(pk=routed.activity_id)
    assert (activity.email, activity.partition, activity.channel) == (
        email,
        setup["acme"],
        "email",
    )
    contact = email.contact
    # Japanese names are written family name first.
    assert (contact.last_name, contact.first_name) == ("山田", "太郎")
    assert str(contact) == "山田 太郎"
    assert (contact.email, contact.partition) == ("taro@example.jp", setup["acme"])


def test_existing_contact_is_found_inside_the_partition_only(tenant, setup, admin_user):
    # given: contacts stored the way people type them, through the real writers (the
    # importer and contacts.actions), not already in routing's form
    imports.import_contacts(
        io.BytesIO(b"last name,phone\nKnown,+81 90-1111-2222\n"),
        tenant=tenant,
        partition=setup["acme"],
        actor=admin_user,
    )
    known = Contact.objects.get(last_name="Known")
    hanako = contact_actions.create_contact(
        tenant,
        actor=admin_user,
        partition_id=setup["acme"].pk,
        email=" Hanako.Sato@Example.JP ",
    )
    elsewhere = contact_actions.create_contact(
        tenant, actor=admin_user, partition_id=None, email="Taro@Example.JP"
    )

    # then
    assert call(tenant, sender="+81 (90) 1111-2222").contact_id == known.pk
    assert mail(tenant, sender="hanako.sato@example.jp").contact_id == hanako.pk
    routed = mail(tenant, sender="TARO@example.jp", message_id="<m2@example.jp>")
    # The same address with no client is another client's business: a new contact.
    assert routed.contact_id != elsewhere.pk
    assert Contact.objects.get(pk=routed.contact_id).partition == setup["acme"]
    assert call(tenant).contact_id == known.pk
    assert Contact.objects.filter(partition=setup["acme"]).count() == 3


def test_disabled_clients_service_records_with_no_partition(tenant, setup):
    routed = call(tenant, service="Initech Line")
    activity = Activity.objects.get(pk=routed.activity_id)
    assert routed.partition is None
    assert (activity.partition, activity.service) == (None, setup["initech_line"])
    assert activity.contact.partition is None
    assert not setup["initech"].activities.exists()


def test_unassigned_service_records_with_no_partition(tenant, setup):
    routed = call(tenant, service="General")
    assert routed.partition is None
    assert Activity.objects.get(pk=routed.activity_id).partition is None


def test_disabling_takes_effect_for_the_next_interaction(tenant, setup, admin_user):
    assert call(tenant).partition == setup["acme"]
    partition_actions.set_client_partitions_enabled(
        ClientPartition.objects.filter(pk=setup["acme"].pk),
        enabled=False,
        actor=admin_user,
    )
    assert call(tenant).partition is None
    assert Activity.objects.count() == 2


def test_service_by_id_and_email_by_recipient_address(tenant, setup):
    assert call(tenant, service=setup["general"].pk).service == setup["general"]
    routed = mail(
        tenant, service="", recipients=["Other <x@y.example>", "ACME@sakura.example"]
    )
    assert routed.service == setup["acme_email"]
    assert routed.partition == setup["acme"]


def test_chat_sender_may_be_an_address(tenant, setup):
    routed = route_interaction(
        tenant, service="General", channel="chat", sender="keiko@example.jp"
    )
    assert Contact.objects.get(pk=routed.contact_id).email == "keiko@example.jp"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"service": "No Such Line"}, "service"),
        ({"service": ""}, "service"),
        ({"sender": "call me maybe"}, "from"),
        ({"channel": "pigeon"}, "channel"),
    ],
)
def test_bad_call_is_rejected_naming_the_field_and_writes_nothing(
    tenant, setup, kwargs, field
):
    fields = {"service": "Acme Line", "channel": "voice", "sender": "+8190111"}
    fields.update(kwargs)
    with pytest.raises(InteractionRejected) as rejected:
        route_interaction(tenant, **fields)
    assert field in rejected.value.errors
    assert field in str(rejected.value)
    assert not Activity.objects.exists()
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"sender": "taro at example.jp"}, "from"),
        ({"sender": "+81 90 1111 2222"}, "from"),
        ({"service": "", "recipients": ["nobody@else.example"]}, "service"),
    ],
)
def test_bad_email_is_rejected_and_writes_nothing(tenant, setup, kwargs, field):
    with pytest.raises(InteractionRejected) as rejected:
        mail(tenant, **kwargs)
    assert field in rejected.value.errors
    assert not Email.objects.exists()
    assert not Activity.objects.exists()
    assert not Contact.objects.exists()


def test_other_tenants_service_is_unknown(tenant, other_tenant, setup):
    factories.ServiceFactory(tenant=other_tenant, name="Secret Line")
    with pytest.raises(InteractionRejected):
        call(tenant, service="Secret Line")
    with pytest.raises(InteractionRejected):
        call(other_tenant, service="Acme Line")
    assert not Activity.objects.exists()


def test_message_id_seen_before_is_a_duplicate_not_recorded_twice(tenant, setup):
    first = mail(tenant)
    again = mail(tenant, subject="Re-delivered")
    assert not first.duplicate
    assert again.duplicate
    assert (again.email_id, again.activity_id, again.contact_id) == (
        first.email_id,
        first.activity_id,
        first.contact_id,
    )
    assert Email.objects.count() == 1
    assert Activity.objects.count() == 1
    assert Contact.objects.count() == 1


def test_same_message_id_in_another_tenant_is_its_own_email(
    tenant, other_tenant, setup
):
    factories.ServiceFactory(tenant=other_tenant, name="Acme Email", type="email")
    mail(tenant)
    assert not mail(other_tenant).duplicate
    assert Email.objects.count() == 2


def test_emails_without_message_id_are_all_kept(tenant, setup):
    mail(tenant, message_id="")
    mail(tenant, message_id="")
    assert Email.objects.count() == 2


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("assigned", [True, False], ids=["client", "no-client"])
def test_concurrent_deliveries_record_each_email_once_and_one_contact(assigned):
    tenant = factories.TenantFactory()
    acme = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    factories.ServiceFactory(
        tenant=tenant,
        name="Acme Email",
        type="email",
        client_partition=acme if assigned else None,
    )
    same_email = {
        "service": "Acme Email",
        "channel": "email",
        "sender": "new.customer@example.jp",
        "message_id": "<same@example.jp>",
    }
    others = [
        {**same_email, "message_id": f"<other-{i}@example.jp>"} for i in range(10)
    ]
    outcomes = race(
        [
            lambda d=delivery: route_interaction(tenant, **d)
            for delivery in [same_email] * 3 + others
        ]
    )

    assert all(not isinstance(o, Exception) for o in outcomes), outcomes
    assert sum(o.duplicate for o in outcomes) == 2
    # One email per message id, and one contact for the new sender, not eleven.
    assert Email.objects.filter(tenant=tenant).count() == 11
    assert Activity.objects.filter(tenant=tenant).count() == 11
    assert Contact.objects.filter(tenant=tenant).count() == 1


def test_service_email_address_is_unique_per_tenant_in_the_admin(
    admin_client, tenant, other_tenant
):
    factories.ServiceFactory(
        tenant=other_tenant, name="Theirs", email_address="help@cc.example"
    )
    first = admin_client.post(
        "/admin/services/service/add/",
        {"name": "Mail", "type": "email", "email_address": "Help@CC.example"},
    )
    assert first.status_code == 302
    assert tenant.services.get().email_address == "help@cc.example"
    second = admin_client.post(
        "/admin/services/service/add/",
        {"name": "Mail 2", "type": "email", "email_address": "help@cc.example"},
    )
    assert second.status_code == 200
    assert "Another service already receives email at this address." in second.text
