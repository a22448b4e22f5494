"""What a client partition holds of the contacts app: its contacts, companies, emails
and activity history, all deleted with it (partitions.registry)."""

from contacts.models import Activity, Company, Contact, Email
from partitions.registry import ExportTable, PartitionContent, register

# The export's files, in this order, and their columns (headers: the fields in words).
# contacts.csv has the columns `import_contacts` reads, so a client's contacts can be
# imported as they are into another tenant (its id columns are ignored there).
EXPORTS = (
    (
        Contact,
        "contacts",
        ExportTable(
            "contacts.csv",
            (
                "id",
                "first_name",
                "last_name",
                "title",
                "email",
                "phone",
                "company__name",
                "company_id",
                "created_at",
            ),
        ),
    ),
    (Company, "companies", ExportTable("companies.csv", ("id", "name"))),
    (
        Email,
        "emails",
        ExportTable(
            "emails.csv",
            (
                "id",
                "direction",
                "sender",
                "recipients",
                "subject",
                "body",
                "message_id",
                "service__name",
                "contact_id",
                "sent_at",
            ),
        ),
    ),
    (
        Activity,
        "activities",
        ExportTable(
            "activity_history.csv",
            (
                "id",
                "channel",
                "direction",
                "service__name",
                "contact_id",
                "email_id",
                "occurred_at",
                "summary",
            ),
        ),
    ),
)


def register_partition_data() -> None:
    """Register contacts, companies, emails and activity history with
    partitions.registry; the admin list counts contacts."""
    for model, key, export in EXPORTS:
        register(
            PartitionContent(
                key=key,
                model=model,
                partition_field="partition",
                deleted_with_partition=True,
                export=export,
                list_column=key == "contacts",
            )
        )
