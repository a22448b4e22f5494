"""Contacts across clients (issue 14, items 1, 2 and 4): moving contacts with their
emails and activity history to another client (or to none), merging duplicates,
and the admin pages that do both."""

import pytest
from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contacts import actions
from contacts.models import Contact, Email, EmailSource
from partitions import actions as partition_actions
from partitions.models import ClientPartition
from tests import factories

CHANGELIST = reverse("admin:contacts_contact_changelist")
DUPLICATES = "admin:contacts_contact_duplicates"
MERGE = "admin:contacts_contact_merge"


def history(tenant) -> dict[int, tuple[int, int]]:
    """(emails, activity entries) of every contact of the tenant, by contact id."""
    return {
        contact.pk: (contact.emails.count(), contact.activities.count())
        for contact in Contact.objects.filter(tenant=tenant)
    }


def others(snapshot: dict, *excluded: int) -> dict:
    return {pk: counts for pk, counts in snapshot.items() if pk not in excluded}


@pytest.fixture
def acme(tenant):
    return factories.client_with_data(tenant, "Acme", contacts=3, companies=2)


@pytest.fixture
def globex(tenant):
    return factories.client_with_data(tenant, "Globex", contacts=2, companies=1)


# ----- move -------------------------------------------------------------------------


def test_move_takes_emails_sources_and_activity_history_along(
    tenant, acme, globex, admin_user
):
    contact = acme.contacts.order_by("pk").first()
    email = contact.emails.get()
    EmailSource.of(email, b"Subject: hi\r\n\r\nhello\r\n").save()
    before = history(tenant)
    result = actions.move_contacts([contact], globex, actor=admin_user)
    contact.refresh_from_db()
    assert contact.partition == globex
    assert set(contact.emails.values_list("partition", flat=True)) == {globex.pk}
    assert set(contact.activities.values_list("partition", flat=True)) == {globex.pk}
    assert EmailSource.objects.get(email=email).email.partition == globex
    assert (result.contacts, result.emails, result.activities) == (1, 1, 2)
    assert history(tenant) == before  # nobody's history changed hands


def test_move_to_no_client_triages_the_other_way_too(tenant, acme, admin_user):
    contact = acme.contacts.first()
    actions.move_contacts([contact], None, actor=admin_user)
    contact.refresh_from_db()
    assert contact.partition is None
    assert not Email.objects.filter(contact=contact, partition__isnull=False).exists()
    # and from no client into a client: the triage of a general line's contacts
    actions.move_contacts([contact], acme, actor=admin_user)
    contact.refresh_from_db()
    assert contact.partition == acme
    assert set(contact.activities.values_list("partition", flat=True)) == {acme.pk}


def test_company_follows_when_all_its_contacts_move(tenant, acme, globex, admin_user):
    firm = factories.CompanyFactory(tenant=tenant, partition=acme, name="Solo KK")
    contact = acme.contacts.first()
    Contact.objects.filter(pk=contact.pk).update(company=firm)
    result = actions.move_contacts([contact], globex, actor=admin_user)
    firm.refresh_from_db()
    contact.refresh_from_db()
    assert firm.partition == globex
    assert contact.company == firm
    assert result.companies_moved == 1 and result.companies_kept == ()


def test_company_stays_when_some_contacts_stay_and_the_move_says_so(
    tenant, acme, globex, admin_user
):
    firm = factories.CompanyFactory(tenant=tenant, partition=acme, name="Shared KK")
    staying, moving = acme.contacts.order_by("pk")[:2]
    Contact.objects.filter(pk__in=[staying.pk, moving.pk]).update(company=firm)
    result = actions.move_contacts([moving], globex, actor=admin_user)
    firm.refresh_from_db()
    moving.refresh_from_db()
    staying.refresh_from_db()
    assert firm.partition == acme
    assert staying.company == firm
    assert moving.company is None  # a company of another client is no company
    assert result.companies_kept == ("Shared KK",)
    assert "Shared KK" in result.describe()
    moving.full_clean()


def test_move_is_audited_with_the_counts(tenant, acme, globex, admin_user):
    contacts = list(acme.contacts.all())
    actions.move_contacts(contacts, globex, actor=admin_user)
    entries = LogEntry.objects.filter(user=admin_user, action_flag=CHANGE)
    event = entries.get(object_id=str(globex.pk), content_type__model="clientpartition")
    assert "Moved 3 contacts to Globex with 3 emails and 6 activity entries" in (
        event.change_message
    )
    per_contact = entries.filter(content_type__model="contact")
    assert per_contact.count() == 3
    assert '"partition"' in per_contact.first().change_message


def refused_target(tenant, other_tenant, kind):
    if kind == "disabled":
        return factories.ClientPartitionFactory(tenant=tenant, enabled=False)
    if kind == "other-tenant":
        return factories.ClientPartitionFactory(tenant=other_tenant)
    if kind == "deleting":
        partition = factories.ClientPartitionFactory(tenant=tenant)
        ClientPartition.objects.filter(pk=partition.pk).update(
            deletion_requested_at="2026-01-01T00:00:00Z"
        )
        return partition
    if kind == "deleted":
        partition = factories.ClientPartitionFactory(tenant=tenant)
        ClientPartition.objects.filter(pk=partition.pk).delete()
        return partition
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["disabled", "other-tenant", "deleting", "deleted"])
def test_move_refuses_an_unavailable_target_and_writes_nothing(
    tenant, other_tenant, acme, admin_user, kind
):
    target = refused_target(tenant, other_tenant, kind)
    before = history(tenant), list(Contact.objects.values()), LogEntry.objects.count()
    with pytest.raises(ValidationError) as refused:
        actions.move_contacts(list(acme.contacts.all()), target, actor=admin_user)
    assert "partition" in refused.value.message_dict
    after = history(tenant), list(Contact.objects.values()), LogEntry.objects.count()
    assert after == before


def test_move_refuses_an_offboarding_target(tenant, acme, globex, admin_user):
    partition_actions.offboard_client_partition(globex, grace_days=5, actor=admin_user)
    with pytest.raises(ValidationError, match="being offboarded"):
        actions.move_contacts(list(acme.contacts.all()), globex, actor=admin_user)


def test_contacts_of_an_offboarding_or_held_client_stay_where_they_are(
    tenant, acme, globex, admin_user
):
    globex_contacts = list(globex.contacts.all())
    held = factories.ClientPartitionFactory(
        tenant=tenant, legal_hold=True, legal_hold_reason="Litigation 2026-17"
    )
    held_contact = factories.ContactFactory(tenant=tenant, partition=held)
    partition_actions.offboard_client_partition(globex, grace_days=5, actor=admin_user)
    before = history(tenant), list(Contact.objects.values())

    with pytest.raises(ValidationError, match="being offboarded"):
        actions.move_contacts(globex_contacts, acme, actor=admin_user)
    with pytest.raises(ValidationError, match="legal hold"):
        actions.move_contacts([held_contact], acme, actor=admin_user)
    twin = factories.ContactFactory(tenant=tenant, partition=held)
    with pytest.raises(ValidationError, match="legal hold"):
        actions.merge_contacts(held_contact, [twin], actor=admin_user)

    twin.delete()
    assert (history(tenant), list(Contact.objects.values())) == before


def test_move_refuses_contacts_the_actor_cannot_see(tenant, acme, globex):
    supervisor = factories.client_supervisor(tenant, clients=[globex])
    with pytest.raises(ValidationError, match="do not exist"):
        actions.move_contacts(list(acme.contacts.all()), globex, actor=supervisor)
    assert acme.contacts.count() == 3


def test_a_supervisor_moves_only_between_their_own_clients(tenant, acme, globex):
    third = factories.ClientPartitionFactory(tenant=tenant, name="Initech")
    supervisor = factories.client_supervisor(tenant, clients=[acme, globex])
    contact = acme.contacts.first()
    for target in (third, None):
        with pytest.raises(ValidationError):
            actions.move_contacts([contact], target, actor=supervisor)
    actions.move_contacts([contact], globex, actor=supervisor)
    contact.refresh_from_db()
    assert contact.partition == globex


def test_move_refuses_a_placeholder_contact(tenant, acme, globex, admin_user):
    withheld = factories.ContactFactory(
        tenant=tenant, partition=acme, email="", phone="", placeholder="withheld"
    )
    with pytest.raises(ValidationError, match="stays with its client"):
        actions.move_contacts([withheld], globex, actor=admin_user)


@pytest.mark.parametrize("size", [1, 40])
def test_move_costs_the_same_queries_whatever_the_number(tenant, admin_user, size):
    source = factories.client_with_data(tenant, "Big", contacts=size, companies=2)
    target = factories.ClientPartitionFactory(tenant=tenant, name="Target")
    contacts = list(source.contacts.all())
    with CaptureQueriesContext(connection) as queries:
        actions.move_contacts(contacts, target, actor=admin_user)
    # Measured once per database: the same for 1 and 40 (and 200) contacts.
    assert len(queries) == move_queries(tenant, admin_user)


def move_queries(tenant, admin_user) -> int:
    """The queries of a move of one contact, measured in the same test database."""
    source = factories.client_with_data(tenant, "One", contacts=1, companies=1)
    target = factories.ClientPartitionFactory(tenant=tenant, name="One more")
    contacts = list(source.contacts.all())
    with CaptureQueriesContext(connection) as queries:
        actions.move_contacts(contacts, target, actor=admin_user)
    return len(queries)


def test_move_of_200_contacts_costs_what_one_costs(tenant, admin_user):
    source = factories.client_with_data(tenant, "Big", contacts=200, companies=5)
    target = factories.ClientPartitionFactory(tenant=tenant, name="Target")
    contacts = list(source.contacts.all())
    expected = move_queries(tenant, admin_user)
    with CaptureQueriesContext(connection) as queries:
        actions.move_contacts(contacts, target, actor=admin_user)
    assert len(queries) == expected
    assert target.contacts.count() == 200
    assert target.activities.count() == 400


# ----- merge ------------------------------------------------------------------------


def duplicates(tenant, partition):
    keep = factories.ContactFactory(
        tenant=tenant, partition=partition, first_name="Taro", last_name="Yamada",
        title="", email="taro@example.com", phone="",
    )  # fmt: skip
    other = factories.ContactFactory(
        tenant=tenant, partition=partition, first_name="T.", last_name="Yamada",
        title="Manager", email="taro@example.com", phone="+819011112222",
    )  # fmt: skip
    for contact in (keep, other):
        email = factories.EmailFactory(
            tenant=tenant, partition=partition, contact=contact
        )
        factories.ActivityFactory(
            tenant=tenant, partition=partition, contact=contact, email=email
        )
    return keep, other


def test_merge_moves_history_fills_empty_fields_and_deletes_the_others(
    tenant, acme, admin_user
):
    keep, other = duplicates(tenant, acme)
    before = history(tenant)
    result = actions.merge_contacts(keep, [other], actor=admin_user)
    keep.refresh_from_db()
    assert not Contact.objects.filter(pk=other.pk).exists()
    assert keep.first_name == "Taro"  # not empty: kept
    assert (keep.title, keep.phone) == ("Manager", "+819011112222")
    assert (keep.emails.count(), keep.activities.count()) == (2, 2)
    assert set(result.filled) == {"title", "phone"}
    assert others(history(tenant), keep.pk, other.pk) == others(
        before, keep.pk, other.pk
    )


def test_merge_takes_the_values_chosen_side_by_side(tenant, acme, admin_user):
    keep, other = duplicates(tenant, acme)
    actions.merge_contacts(
        keep, [other], actor=admin_user, chosen={"first_name": other.pk}
    )
    keep.refresh_from_db()
    assert keep.first_name == "T."


def test_merge_is_audited_with_the_ids_and_fields(tenant, acme, admin_user):
    keep, other = duplicates(tenant, acme)
    actions.merge_contacts(keep, [other], actor=admin_user)
    entries = LogEntry.objects.filter(user=admin_user)
    event = entries.get(
        object_id=str(keep.pk),
        action_flag=CHANGE,
        change_message__startswith="Merged",
    )
    assert f"Merged contacts #{other.pk} into this one" in event.change_message
    assert "Title" in event.change_message and "Phone" in event.change_message
    gone = entries.get(object_id=str(other.pk), action_flag=DELETION)
    assert f"#{keep.pk}" in gone.change_message


def test_merge_refuses_another_clients_contact(tenant, acme, globex, admin_user):
    keep = acme.contacts.first()
    stranger = globex.contacts.first()
    before = history(tenant)
    with pytest.raises(ValidationError, match="same client"):
        actions.merge_contacts(keep, [stranger], actor=admin_user)
    assert history(tenant) == before


def test_merge_refuses_another_tenants_contact(tenant, other_tenant, acme, admin_user):
    theirs = factories.client_with_data(other_tenant, "Theirs", contacts=1)
    with pytest.raises(ValidationError, match="do not exist"):
        actions.merge_contacts(
            acme.contacts.first(), [theirs.contacts.get()], actor=admin_user
        )
    assert theirs.contacts.count() == 1


def test_merge_refuses_contacts_the_actor_cannot_see(tenant, acme, globex):
    supervisor = factories.client_supervisor(tenant, clients=[globex])
    keep, other = list(acme.contacts.all()[:2])
    with pytest.raises(ValidationError, match="do not exist"):
        actions.merge_contacts(keep, [other], actor=supervisor)
    assert acme.contacts.count() == 3


def test_merge_refuses_a_contact_into_itself(tenant, acme, admin_user):
    keep = acme.contacts.first()
    with pytest.raises(ValidationError):
        actions.merge_contacts(keep, [keep], actor=admin_user)
    assert acme.contacts.count() == 3


# ----- the admin --------------------------------------------------------------------


def test_move_page_shows_what_follows_and_offers_the_viewers_clients(
    admin_client, tenant, other_tenant, acme, globex
):
    factories.ClientPartitionFactory(tenant=tenant, name="Dormant", enabled=False)
    factories.ClientPartitionFactory(tenant=other_tenant, name="Elsewhere")
    ids = list(acme.contacts.values_list("pk", flat=True))
    response = admin_client.post(
        CHANGELIST, {"action": "move_to_client", "_selected_action": ids}
    )
    assert response.status_code == 200
    assert "3 contacts will move, and with them 3 emails and 6 activity entries" in (
        response.text
    )
    offered = dict(response.context["form"].fields["target"].choices)
    assert set(offered.values()) == {"No client", "Acme", "Globex"}
    assert acme.contacts.count() == 3  # the page moved nothing


def test_move_page_moves_on_confirmation(admin_client, acme, globex):
    ids = list(acme.contacts.values_list("pk", flat=True))
    response = admin_client.post(
        CHANGELIST,
        {
            "action": "move_to_client",
            "_selected_action": ids,
            "post": "yes",
            "target": globex.pk,
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "Moved 3 contacts to Globex" in response.text
    assert globex.contacts.count() == 5


def test_move_page_triages_to_and_from_no_client(admin_client, tenant, acme):
    stray = factories.ContactFactory(tenant=tenant, partition=None)
    admin_client.post(
        CHANGELIST,
        {
            "action": "move_to_client",
            "_selected_action": [stray.pk],
            "post": "yes",
            "target": acme.pk,
        },
    )
    stray.refresh_from_db()
    assert stray.partition == acme


def test_a_supervisor_is_offered_only_their_clients_and_no_no_client(
    tenant, acme, globex
):
    factories.ClientPartitionFactory(tenant=tenant, name="Initech")
    client = factories.signed_in(
        factories.client_supervisor(tenant, clients=[acme, globex])
    )
    ids = list(acme.contacts.values_list("pk", flat=True))
    response = client.post(
        CHANGELIST, {"action": "move_to_client", "_selected_action": ids}
    )
    offered = dict(response.context["form"].fields["target"].choices)
    assert set(offered.values()) == {"Acme", "Globex"}


def test_merge_action_opens_the_side_by_side_page(admin_client, tenant, acme):
    keep, other = duplicates(tenant, acme)
    response = admin_client.post(
        CHANGELIST,
        {"action": "merge_selected", "_selected_action": [keep.pk, other.pk]},
    )
    assert response.status_code == 302
    page = admin_client.get(response.url)
    assert page.status_code == 200
    assert "Manager" in page.text and "Taro" in page.text and "T." in page.text


def test_merge_page_merges_the_values_chosen(admin_client, tenant, acme):
    keep, other = duplicates(tenant, acme)
    response = admin_client.post(
        reverse(MERGE),
        {
            "ids": f"{keep.pk},{other.pk}",
            "keep": keep.pk,
            "field_first_name": other.pk,
            "field_title": other.pk,
        },
    )
    assert response.status_code == 302
    keep.refresh_from_db()
    assert (keep.first_name, keep.title) == ("T.", "Manager")
    assert not Contact.objects.filter(pk=other.pk).exists()


def test_merge_page_refuses_contacts_of_two_clients_with_a_message(
    admin_client, acme, globex
):
    keep, stranger = acme.contacts.first(), globex.contacts.first()
    response = admin_client.post(
        reverse(MERGE),
        {"ids": f"{keep.pk},{stranger.pk}", "keep": keep.pk},
    )
    assert response.status_code == 200
    assert "Only contacts of the same client can be merged." in response.text
    assert Contact.objects.filter(pk=stranger.pk).exists()


def test_merge_page_with_bad_ids_goes_back_to_the_list(admin_client):
    response = admin_client.get(reverse(MERGE), {"ids": "x,-1,99999999999999999999"})
    assert response.status_code == 302


def test_duplicates_page_lists_contacts_of_one_client_sharing_an_address(
    admin_client, tenant, acme, globex
):
    keep, other = duplicates(tenant, acme)
    # the same address in another client is another client's person
    factories.ContactFactory(tenant=tenant, partition=globex, email="taro@example.com")
    response = admin_client.get(reverse(DUPLICATES))
    assert response.status_code == 200
    groups = response.context["groups"]
    assert [sorted(c.pk for c in g["contacts"]) for g in groups] == [
        sorted([keep.pk, other.pk])
    ]
    assert 'href="' + reverse(MERGE) in response.text


def test_duplicates_page_groups_contacts_sharing_a_mobile(admin_client, tenant, acme):
    one, two = factories.ContactFactory.create_batch(
        2, tenant=tenant, partition=acme, mobile="090-1111-2222"
    )
    response = admin_client.get(reverse(DUPLICATES))
    groups = response.context["groups"]
    assert [sorted(c.pk for c in g["contacts"]) for g in groups] == [
        sorted([one.pk, two.pk])
    ]
    assert groups[0]["value"] == "+819011112222"


def test_duplicates_page_costs_the_same_queries_for_more_groups(
    admin_client, tenant, acme
):
    duplicates(tenant, acme)
    admin_client.get(reverse(DUPLICATES))  # reads the permissions, then cached
    with CaptureQueriesContext(connection) as few:
        admin_client.get(reverse(DUPLICATES))
    for n in range(5):
        factories.ContactFactory.create_batch(
            2, tenant=tenant, partition=acme, email=f"dup{n}@example.com"
        )
    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(reverse(DUPLICATES))
    assert len(response.context["groups"]) == 6
    assert len(many) == len(few)


# ----- locks (PostgreSQL) -----------------------------------------------------------


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_a_move_waits_for_a_client_being_disabled_and_then_refuses_it():
    """The target is share-locked (ccadmin/locks.py, rank 3): a move into a client
    whose row an administrator holds FOR UPDATE, disabling it, waits for that
    transaction and then sees the client disabled; nothing moves."""
    import threading
    import time

    from django.db import connections, transaction

    from partitions.locks import lock_client_partition

    tenant = factories.TenantFactory()
    actor = factories.administrator(tenant)
    source = factories.client_with_data(tenant, "Acme", contacts=2)
    target = factories.ClientPartitionFactory(tenant=tenant, name="Globex")
    locked, outcome = threading.Event(), {}

    def disable():
        try:
            with transaction.atomic():
                partition = lock_client_partition(target.pk)
                locked.set()
                time.sleep(0.5)  # the move starts meanwhile, and must wait
                partition.enabled = False
                partition.save()
        finally:
            connections.close_all()

    def move():
        locked.wait(10)
        try:
            actions.move_contacts(list(source.contacts.all()), target, actor=actor)
        except ValidationError as exc:
            outcome["refused"] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=disable), threading.Thread(target=move)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert "disabled" in str(outcome["refused"])
    assert source.contacts.count() == 2
    assert not Email.objects.filter(partition=target).exists()
