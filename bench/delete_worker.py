"""Deletes one client partition by one method and prints seconds and peak memory.

Run in a fresh process per delete (by bench.run) so that the peak memory measured is
that of the deleting process alone.
"""

import json
import resource
import sys
import time


def import_anchor(path: str, partition) -> None:
    """The naive import: one Contact.objects.create per row, each its own
    transaction (companies found through a dict, so only the inserts differ)."""
    import csv

    from contacts.models import Company, Contact

    companies: dict[str, Company] = {}
    with open(path, newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            name = row["company"]
            if name not in companies:
                companies[name] = Company.objects.create(
                    tenant_id=partition.tenant_id, partition=partition, name=name
                )
            Contact.objects.create(
                tenant_id=partition.tenant_id,
                partition=partition,
                first_name=row["first name"],
                last_name=row["last name"],
                email=row["email"],
                phone=row["phone"],
                title=row["title"],
                company=companies[name],
            )


def main(method: str, partition_id: int, path: str = "") -> None:
    """Delete the partition by `method` (project, sql or python), or build the stock
    confirmation page data for it (stock_confirm); print seconds and peak memory."""
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.db import connection, transaction

    from bench.pycascade.models import COPIES
    from partitions import actions
    from partitions.models import ClientPartition

    actor = User.objects.get(username="bench")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    if method == "project":
        # The real path: admin, commands and views all call this.
        partition = ClientPartition.objects.get(pk=partition_id)
        actions.delete_client_partition(partition, actor=actor)
    elif method == "python":
        # Django's Python-level cascade, on the identical anchor schema.
        with transaction.atomic():
            COPIES[ClientPartition].objects.filter(pk=partition_id).delete()
    elif method == "sql":
        # Hand-written SQL: children first, in the cheapest order, one transaction.
        with transaction.atomic(), connection.cursor() as cur:
            for sql in [
                "DELETE FROM contacts_activity WHERE partition_id = %s",
                "DELETE FROM contacts_email WHERE partition_id = %s",
                "DELETE FROM contacts_contact WHERE partition_id = %s",
                "DELETE FROM contacts_company WHERE partition_id = %s",
                "UPDATE services_service SET client_partition_id = NULL"
                " WHERE client_partition_id = %s",
                "DELETE FROM partitions_clientpartition WHERE id = %s",
            ]:
                cur.execute(sql, [partition_id])
    elif method == "project_import":
        # The project's import, as the command and the admin page run it.
        from contacts.imports import import_contacts

        partition = ClientPartition.objects.get(pk=partition_id)
        with open(path, "rb") as handle:
            result = import_contacts(
                handle, tenant=partition.tenant, partition=partition, actor=actor
            )
        assert result.refused == 0, result.errors[:3]
    elif method == "anchor_import":
        import_anchor(path, ClientPartition.objects.get(pk=partition_id))
    elif method == "project_confirm":
        # The project's confirmation page, served by the whole Django stack.
        from django.test import Client

        client = Client()
        client.force_login(User.objects.get(username="bench"))
        url = f"/admin/partitions/clientpartition/{partition_id}/delete/"
        response = client.get(url)
        assert response.status_code == 200, response.status_code
    elif method == "stock_confirm":
        # Django's stock confirmation data, which walks every related row.
        from django.contrib import admin
        from django.contrib.admin.utils import get_deleted_objects
        from django.test import RequestFactory

        request = RequestFactory().get("/")
        request.user = User.objects.get(username="bench-root")
        partition = ClientPartition.objects.get(pk=partition_id)
        found = get_deleted_objects([partition], request, admin.site)
        walked = sum(found[1].values())
        print(json.dumps({"walked": walked}), file=sys.stderr)
    else:
        raise SystemExit(f"unknown method {method}")
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "peak_kb": peak_kb, "base_kb": rss_before}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), *sys.argv[3:])
