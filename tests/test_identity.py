"""Issue 10, item 1: one caller is one contact, whatever format the number came in;
the sender is found through an index, at the same cost at any size of client."""

import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ccadmin.bulk import insert_all
from contacts import actions
from contacts.models import Contact
from contacts.phones import normalize_phone
from interactions.routing import route_interaction
from tests import factories

# One mobile line, as a PBX, an agent, an import and a gateway write it.
ONE_LINE = [
    "+81 90 3141 5926",
    "090-3141-5926",
    "09031415926",
    "+819031415926",
    "+81 (90) 3141-5926",
    "090.3141.5926",
    "０９０－３１４１－５９２６",  # typed with a Japanese input method
    "090ー3141ー5926",  # the long vowel mark typed for a dash
]


@pytest.mark.parametrize("typed", ONE_LINE)
def test_every_format_of_one_line_is_stored_as_one_e164_number(typed):
    assert normalize_phone(typed, "JP") == "+819031415926"


@pytest.mark.parametrize(
    ("typed", "region", "stored"),
    [
        ("03-1234-5678", "JP", "+81312345678"),
        ("(650) 253-0000", "US", "+16502530000"),
        ("650-253-0000", "US", "+16502530000"),
        ("020 7946 0018", "GB", "+442079460018"),
        # A number with its country code ignores the region.
        ("+81 3-1234-5678", "US", "+81312345678"),
    ],
)
def test_national_numbers_are_read_in_the_region(typed, region, stored):
    assert normalize_phone(typed, region) == stored


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        # Short codes and internal extensions: not whole numbers of any country;
        # kept as their digits, still matched exactly.
        ("110", "110"),
        ("2045", "2045"),
        ("0570", "0570"),
        ("+123", "+123"),
        # An extension is kept, in RFC 3966's notation, after the E.164 number.
        ("03-1234-5678 ext. 12", "+81312345678;ext=12"),
        ("03-1234-5678 x12", "+81312345678;ext=12"),
        ("03-1234-5678 内線12", "+81312345678;ext=12"),
    ],
)
def test_numbers_that_do_not_parse_keep_a_compact_form(typed, stored):
    assert normalize_phone(typed, "JP") == stored


@pytest.mark.parametrize("typed", ["call me", "12", "+81 90 3141 5926 ask Taro", ""])
def test_text_that_is_no_phone_number_is_refused(typed):
    with pytest.raises(ValidationError):
        normalize_phone(typed, "JP")


def test_tenant_region_defaults_to_the_setting_and_reads_its_contacts(db, settings):
    settings.PHONE_DEFAULT_REGION = "US"
    us = factories.TenantFactory()
    jp = factories.TenantFactory(default_phone_region="jp")

    assert (us.default_phone_region, jp.default_phone_region) == ("US", "JP")
    us_contact = factories.ContactFactory(tenant=us, phone="650-253-0000")
    jp_contact = factories.ContactFactory(tenant=jp, phone="090-3141-5926")
    assert us_contact.phone == "+16502530000"
    assert jp_contact.phone == "+819031415926"


def test_an_unknown_region_is_a_field_error(db):
    tenant = factories.TenantFactory.build(default_phone_region="XX")
    with pytest.raises(ValidationError) as refused:
        tenant.full_clean()
    assert "default_phone_region" in refused.value.message_dict


@pytest.mark.parametrize("caller", ONE_LINE)
def test_a_call_finds_the_contact_an_agent_typed_in_another_format(tenant, caller):
    acme = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    factories.ServiceFactory(tenant=tenant, name="Acme Line", client_partition=acme)
    agent = factories.agent(tenant)
    typed = actions.create_contact(
        tenant,
        actor=agent,
        partition_id=acme.pk,
        last_name="Ito",
        phone="090-3141-5926",
    )

    routed = route_interaction(
        tenant, service="Acme Line", channel="voice", sender=caller
    )

    assert routed.contact_id == typed.pk
    assert not routed.contact_created
    assert Contact.objects.filter(tenant=tenant).count() == 1


def test_the_migration_converts_stored_numbers_in_each_tenants_region(db):
    jp = factories.TenantFactory(default_phone_region="JP")
    us = factories.TenantFactory(default_phone_region="US")
    rows = {
        "jp": factories.ContactFactory(tenant=jp),
        "us": factories.ContactFactory(tenant=us),
        "short": factories.ContactFactory(tenant=jp),
        "odd": factories.ContactFactory(tenant=jp),
    }
    # As the old rule stored them ("digits with an optional +"), or worse.
    for key, phone in {
        "jp": "09031415926",
        "us": "6502530000",
        "short": "110",
        "odd": "ask reception",
    }.items():
        Contact.objects.filter(pk=rows[key].pk).update(phone=phone)

    migration = importlib.import_module("contacts.migrations.0005_phones_in_e164")
    migration.phones_to_e164(apps, None)

    stored = {key: Contact.objects.get(pk=row.pk).phone for key, row in rows.items()}
    assert stored == {
        "jp": "+819031415926",
        "us": "+16502530000",
        "short": "110",
        "odd": "ask reception",  # no stored form: left for a person to fix
    }


def test_email_sender_is_matched_on_the_stored_lower_case_value(tenant):
    acme = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    factories.ServiceFactory(tenant=tenant, name="Mail", client_partition=acme)
    known = factories.ContactFactory(
        tenant=tenant, partition=acme, email=" Taro.Yamada@Example.COM "
    )

    with CaptureQueriesContext(connection) as queries:
        routed = route_interaction(
            tenant,
            service="Mail",
            channel="email",
            sender="TARO.YAMADA@example.com",
            message_id="<1@x>",
        )

    assert routed.contact_id == known.pk
    lookup = _contact_lookup(queries)
    assert "taro.yamada@example.com" in lookup
    assert "LIKE" not in lookup.upper() and "UPPER(" not in lookup.upper()


def _contact_lookup(queries) -> str:
    [sql] = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and 'FROM "contacts_contact"' in q["sql"]
    ]
    return sql


def _client_with_contacts(tenant, name: str, count: int):
    partition = factories.ClientPartitionFactory(tenant=tenant, name=name)
    factories.ServiceFactory(
        tenant=tenant, name=f"{name} Mail", client_partition=partition
    )
    insert_all(
        Contact,
        [
            Contact(
                tenant=tenant,
                partition=partition,
                last_name=f"C{i}",
                email=f"c{i}@{name.lower()}.example",
                phone=f"+8180{i:08d}",
            )
            for i in range(count)
        ],
    )
    return partition


def _route_known_email(tenant, name: str, n: int):
    return route_interaction(
        tenant,
        service=f"{name} Mail",
        channel="email",
        sender=f"C{n} <c{n}@{name.lower()}.example>",
        subject="Claim",
        message_id=f"<{name}-{n}@x>",
    )


def test_an_email_from_a_known_sender_costs_the_same_queries_at_any_size(tenant):
    _client_with_contacts(tenant, "Small", 10)
    _client_with_contacts(tenant, "Large", 3000)

    counts = {}
    for name in ("Small", "Large"):
        with CaptureQueriesContext(connection) as queries:
            routed = _route_known_email(tenant, name, 7)
        assert not routed.contact_created
        counts[name] = len(queries)

    assert counts["Small"] == counts["Large"]
    # service, duplicate check, client share lock, contact, emails, activities, and
    # the transaction and savepoints around them
    assert counts["Large"] <= 10, counts


@pytest.mark.postgresql
def test_the_sender_lookup_is_an_index_scan_on_postgresql(tenant):
    # given: a client large enough that a sequential scan would be the planner's
    # choice without the index, with fresh statistics
    _client_with_contacts(tenant, "Large", 20_000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE contacts_contact")

    for sender, index in [
        ("c77@large.example", "contacts_contact_sender_email"),
        ("+81 80 0000 0077", "contacts_contact_sender_phone"),
    ]:
        # when: routing looks the sender up
        with CaptureQueriesContext(connection) as queries:
            route_interaction(
                tenant,
                service="Large Mail",
                channel="chat",
                sender=sender,
            )
        lookup = _contact_lookup(queries)

        # then: that exact query is answered from the sender index
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + lookup)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert index in plan, plan
        assert "Seq Scan" not in plan, plan


def test_a_superuser_sets_a_tenants_phone_region_in_tenancy(provider_client, tenant):
    response = provider_client.post(
        reverse("admin:ccadmin_tenant_change", args=[tenant.pk]),
        {
            "name": tenant.name,
            "slug": tenant.slug,
            "client_partition_limit": "",
            "default_phone_region": "us",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    tenant.refresh_from_db()
    assert tenant.default_phone_region == "US"
    contact = factories.ContactFactory(tenant=tenant, phone="(650) 253-0000")
    assert contact.phone == "+16502530000"
