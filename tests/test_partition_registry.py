"""partitions.registry: services and contacts say what a client partition holds, and
the deletion summary, the list counts and the export read it from there."""

import io
import json
import zipfile

from partitions import actions, registry
from partitions.export import export_client_partition
from partitions.queries import with_counts
from tests import factories

# The export's files and their header lines, as README and the clients' hand-over
# rely on them.
EXPORT_FILES = {
    "contacts": (
        "contacts.csv",
        "id,first name,last name,title,email,phone,mobile,company,company id,"
        "created at",
    ),
    "companies": ("companies.csv", "id,name"),
    "emails": (
        "emails.csv",
        "id,direction,sender,recipients,subject,body,message id,service,contact id,"
        "sent at,attachments,notes",
    ),
    "activities": (
        "activity_history.csv",
        "id,channel,direction,service,contact id,email id,occurred at,summary",
    ),
    "services": ("services.csv", "id,name,type"),
}


def test_services_and_contacts_register_what_a_client_holds():
    """Owned records first (deleted with the client), then assigned ones (services,
    unassigned); the admin list counts services and contacts."""
    assert [c.key for c in registry.contents()] == list(EXPORT_FILES)
    assert [c.key for c in registry.owned()] == [
        "contacts",
        "companies",
        "emails",
        "activities",
    ]
    assert [c.key for c in registry.assigned()] == ["services"]
    assert sorted(c.key for c in registry.list_columns()) == ["contacts", "services"]
    assert registry.content("services").model._meta.label == "services.Service"
    assert registry.content("no such thing") is None


def test_deletion_summary_counts_owned_records_and_lists_assigned_services(tenant):
    acme = factories.client_with_data(tenant, "Acme", contacts=3, companies=2)
    factories.client_with_data(tenant, "Globex", contacts=5)  # not counted
    line = factories.ServiceFactory(
        tenant=tenant, name="Acme line", client_partition=acme
    )

    summary = actions.deletion_summary(acme)

    counts = (summary.contacts, summary.companies, summary.emails, summary.activities)
    assert counts == (3, 2, 3, 6)
    assert summary.services == [line]
    assert summary.rows == 14


def test_with_counts_annotates_the_registered_list_columns(tenant):
    acme = factories.client_with_data(tenant, "Acme", contacts=4)
    factories.ServiceFactory.create_batch(2, tenant=tenant, client_partition=acme)

    counted = with_counts(type(acme).objects.filter(pk=acme.pk)).get()

    assert (counted.contacts_count, counted.services_count) == (4, 2)


def test_export_writes_each_registered_file_with_its_columns_in_order(
    tenant, admin_user
):
    acme = factories.client_with_data(tenant, "Acme", contacts=2)
    factories.ServiceFactory(tenant=tenant, client_partition=acme)
    out = io.BytesIO()

    export_client_partition(acme, out, actor=admin_user)

    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
        headers = {
            key: archive.read(filename).decode("utf-8-sig").splitlines()[0]
            for key, (filename, _header) in EXPORT_FILES.items()
        }
    assert names == [filename for filename, _ in EXPORT_FILES.values()] + [
        "manifest.json"
    ]
    assert manifest["files"] == {key: name for key, (name, _) in EXPORT_FILES.items()}
    assert headers == {key: columns for key, (_, columns) in EXPORT_FILES.items()}
    assert manifest["counts"] == {
        "contacts": 2,
        "companies": 2,
        "emails": 2,
        "activities": 4,
        "services": 1,
        "original_emails": 0,
    }
    assert manifest["folders"] == {"original_emails": "emails/"}
