"""The Audit trail's screens (issue 18, item 3): a compact list of who, when, what and
which object, a readable page per entry, filters that each return something, and an
export audited as an export."""

import datetime
import io
import re

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ccadmin import audit
from ccadmin.audit import EXPORT
from contacts.models import Contact
from partitions.export import export_client_partition
from partitions.models import ClientPartition
from tests import factories

TRAIL = reverse("admin:ccadmin_auditentry_changelist")


def entry_page(entry) -> str:
    return reverse("admin:ccadmin_auditentry_change", args=[entry.pk])


@pytest.fixture
def acme(tenant) -> ClientPartition:
    return factories.client_with_data(tenant, "Acme", contacts=2)


def listed(client, query: str = "") -> list[int]:
    return [e.pk for e in client.get(TRAIL + query).context["cl"].result_list]


def test_an_export_is_audited_as_an_export_and_listed_so(
    admin_client, admin_user, acme
):
    export_client_partition(acme, io.BytesIO(), actor=admin_user)
    entry = LogEntry.objects.latest("pk")
    assert entry.action_flag == EXPORT
    assert entry.change_message.startswith("Exported the client's data")
    page = admin_client.get(TRAIL)
    row = page.text.split(f'href="{entry_page(entry)}"')[1].split("</tr>")[0]
    assert "Exported" in row
    assert listed(admin_client, f"?action={EXPORT}") == [entry.pk]
    assert entry.pk not in listed(admin_client, f"?action={CHANGE}")


def test_the_object_type_filter_offers_only_kinds_present_and_no_empty_choice(
    admin_client, admin_user, acme
):
    contact = Contact.objects.filter(partition=acme).first()
    audit.log_addition(admin_user, acme)
    audit.log_addition(admin_user, contact)
    page = admin_client.get(TRAIL)
    assert "content_type__isnull" not in page.text
    spec = next(f for f in page.context["cl"].filter_specs if f.title == "object type")
    offered = dict(spec.lookup_choices)
    assert set(offered.values()) == {"Client partitions", "Contacts"}
    kind = ContentType.objects.get_for_model(Contact).pk
    assert listed(admin_client, f"?content_type__id__exact={kind}") != []
    assert all(
        LogEntry.objects.get(pk=pk).content_type_id == kind
        for pk in listed(admin_client, f"?content_type__id__exact={kind}")
    )


def test_filters_by_user_client_and_date_each_return_entries(
    admin_client, admin_user, tenant, acme
):
    beta = factories.ClientPartitionFactory(tenant=tenant, name="Beta")
    colleague = factories.administrator(tenant)
    mine = audit.log_addition(admin_user, acme)
    theirs = audit.log_addition(colleague, beta)
    no_client = audit.log_event(admin_user, tenant, "Imported people")

    page = admin_client.get(TRAIL)
    users = next(f for f in page.context["cl"].filter_specs if f.title == "user")
    assert {name for _pk, name in users.lookup_choices} == {
        admin_user.username,
        colleague.username,
    }
    assert listed(admin_client, f"?user__id__exact={colleague.pk}") == [theirs.pk]
    assert listed(admin_client, f"?client={beta.pk}") == [theirs.pk]
    assert no_client.pk in listed(admin_client, "?client=none")
    assert mine.pk not in listed(admin_client, "?client=none")
    # By date: the list's own "Today" choice, and a day with nothing.
    dates = next(f for f in page.context["cl"].filter_specs if f.title == "action time")
    today = next(
        c for c in dates.choices(page.context["cl"]) if c["display"] == "Today"
    )
    assert mine.pk in listed(admin_client, today["query_string"])
    assert listed(admin_client, "?action_time__year=2999") == []


def test_a_deleted_clients_entries_are_offered_by_the_client_filter(
    admin_client, admin_user, tenant
):
    gone = factories.ClientPartitionFactory(tenant=tenant, name="Gone")
    entry = audit.log_addition(admin_user, gone)
    gone_id = gone.pk
    ClientPartition.objects.filter(pk=gone_id).delete()
    page = admin_client.get(TRAIL)
    assert f"Deleted client (id {gone_id})" in page.text
    assert listed(admin_client, f"?client={gone_id}") == [entry.pk]


def test_the_object_is_linked_while_it_exists(admin_client, admin_user, tenant):
    kept = factories.ClientPartitionFactory(tenant=tenant, name="Kept")
    gone = factories.ClientPartitionFactory(tenant=tenant, name="Gone")
    audit.log_addition(admin_user, kept)
    audit.log_addition(admin_user, gone)
    gone_url = reverse("admin:partitions_clientpartition_change", args=[gone.pk])
    ClientPartition.objects.filter(pk=gone.pk).delete()
    text = admin_client.get(TRAIL).text
    kept_url = reverse("admin:partitions_clientpartition_change", args=[kept.pk])
    assert f'href="{kept_url}"' in text
    assert gone_url not in text
    assert 'title="Client partition: Gone"' in text


def test_a_long_message_is_cut_in_the_list_and_whole_in_its_title(
    admin_client, admin_user, acme
):
    words = "Imported contacts: " + ", ".join(f"row {i} refused" for i in range(40))
    entry = audit.log_event(admin_user, acme, words)
    text = admin_client.get(TRAIL).text
    row = text.split(f'href="{entry_page(entry)}"')[1].split("</tr>")[0]
    assert f'title="{words}"' in row
    shown = re.search(r'title="[^"]*">([^<]*)</span>', row).group(1)
    assert len(shown) < 100 and shown.endswith("…")


def test_an_entrys_page_lays_out_the_change_as_a_list(admin_client, admin_user, acme):
    contact = Contact.objects.filter(partition=acme).first()
    before = audit.snapshot(contact)
    contact.email = "new@example.com"
    Contact.objects.filter(pk=contact.pk).update(email=contact.email)
    entry = audit.log_change(admin_user, [contact], before=before)[0]
    page = admin_client.get(entry_page(entry))
    assert page.status_code == 200
    changes = page.text.split('<ul class="audit-changes">')[1].split("</ul>")[0]
    items = re.findall(r"<li>(.*?)</li>", changes)
    assert items[0] == "Changed Email."
    assert items[1].startswith("Email: &quot;") and "new@example.com" in items[1]
    contact_url = reverse("admin:contacts_contact_change", args=[contact.pk])
    assert f'href="{contact_url}"' in page.text
    assert "Acme" in page.text  # the client


def test_times_are_the_readers_zone_with_its_name(admin_user, tenant, acme):
    tenant.time_zone = "Asia/Tokyo"
    tenant.save()
    entry = audit.log_addition(admin_user, acme)
    LogEntry.objects.filter(pk=entry.pk).update(
        action_time=datetime.datetime(2026, 12, 1, 0, 45, tzinfo=datetime.UTC)
    )
    browser = factories.signed_in(admin_user)
    assert "2026-12-01 09:45 JST" in browser.get(TRAIL).text
    assert "2026-12-01 09:45 JST" in browser.get(entry_page(entry)).text
    provider = factories.signed_in(factories.superuser())
    assert "2026-12-01 00:45 UTC" in provider.get(TRAIL).text


def test_the_lists_queries_do_not_grow_with_its_rows(admin_client, admin_user, tenant):
    def add_entries(count: int) -> None:
        for i in range(count):
            partition = factories.ClientPartitionFactory(tenant=tenant)
            contact = factories.ContactFactory(tenant=tenant, partition=partition)
            audit.log_addition(admin_user, partition)
            audit.log_addition(admin_user, contact)
            audit.log_export(admin_user, partition, f"Exported {i}")

    def queries() -> int:
        with CaptureQueriesContext(connection) as seen:
            assert admin_client.get(TRAIL).status_code == 200
        return len(seen)

    add_entries(2)
    queries()  # the first page also reads the person's permissions (then cached)
    few = queries()
    add_entries(15)
    assert queries() == few


def test_the_trail_lists_only_the_readers_clients_entries(tenant, admin_user, acme):
    beta = factories.ClientPartitionFactory(tenant=tenant, name="Beta")
    audit.log_addition(admin_user, beta)
    supervisor = factories.client_supervisor(tenant, [acme])
    page = factories.signed_in(supervisor).get(TRAIL)
    assert page.status_code == 200
    assert "Beta" not in page.text
