"""ccadmin.bulk.insert_all: what goes in comes back out, on SQLite and PostgreSQL."""

from ccadmin.bulk import insert_all
from contacts.models import Contact
from tests import factories


def test_insert_all_round_trips_awkward_values(tenant):
    partition = factories.ClientPartitionFactory(tenant=tenant)
    rows = [
        Contact(
            tenant=tenant,
            partition=partition,
            first_name='山田 "太郎", \\N',
            last_name="",  # an empty string stays empty, never NULL
            title="line one\nline two",
            email="taro@example.jp",
            phone="",
            company=None,  # NULL
        ),
        Contact(tenant=tenant, partition=None, first_name="Ünïcode ✓", email=""),
    ]
    insert_all(Contact, rows)
    stored = list(Contact.objects.order_by("pk"))
    assert [
        (c.first_name, c.last_name, c.title, c.email, c.company_id, c.partition_id)
        for c in stored
    ] == [
        (
            '山田 "太郎", \\N',
            "",
            "line one\nline two",
            "taro@example.jp",
            None,
            partition.pk,
        ),
        ("Ünïcode ✓", "", "", "", None, None),
    ]
    assert all(c.created_at is not None for c in stored)
