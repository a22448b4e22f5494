"""What a client partition holds of the contacts app: its contacts, companies, emails
and activity history, all deleted with it (partitions.registry)."""

from contacts.models import Activity, Company, Contact, Email
from partitions.registry import ExportTable, PartitionContent, register


def register_partition_data() -> None:
    """Register contacts, companies, emails and activity history with
    partitions.registry, in the order of the export's files."""
    register(
        PartitionContent(
            key="contacts",
            model=Contact,
            partition_field="partition",
            deleted_with_partition=True,
            list_column=True,
            # The column names are those `import_contacts` reads, so a client's
            # contacts.csv can be imported as it is into another tenant (its id
            # columns are ignored there).
            export=ExportTable(
                "contacts.csv",
                (
                    "id",
                    "first name",
                    "last name",
                    "title",
                    "email",
                    "phone",
                    "company",
                    "company id",
                    "created at",
                ),
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
        )
    )
    register(
        PartitionContent(
            key="companies",
            model=Company,
            partition_field="partition",
            deleted_with_partition=True,
            export=ExportTable("companies.csv", ("id", "name"), ("id", "name")),
        )
    )
    register(
        PartitionContent(
            key="emails",
            model=Email,
            partition_field="partition",
            deleted_with_partition=True,
            export=ExportTable(
                "emails.csv",
                (
                    "id",
                    "direction",
                    "sender",
                    "recipients",
                    "subject",
                    "body",
                    "message id",
                    "service",
                    "contact id",
                    "sent at",
                ),
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
        )
    )
    register(
        PartitionContent(
            key="activities",
            model=Activity,
            partition_field="partition",
            deleted_with_partition=True,
            export=ExportTable(
                "activity_history.csv",
                (
                    "id",
                    "channel",
                    "direction",
                    "service",
                    "contact id",
                    "email id",
                    "occurred at",
                    "summary",
                ),
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
        )
    )
