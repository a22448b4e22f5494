"""What a client partition holds of the contacts app: its contacts, companies, emails
and activity history, all deleted with it, and the original messages of its emails,
exported as files (partitions.registry)."""

from collections.abc import Iterator

from django.db.models import Q

from contacts.models import Activity, Company, Contact, Email, EmailSource
from partitions.models import ClientPartition
from partitions.registry import (
    ExpiringRecords,
    ExportFiles,
    ExportTable,
    PartitionContent,
    register,
    register_expiring,
    register_files,
)

# Sources read per round trip of the export's server-side cursor: a message may be
# megabytes (attachments), so fewer than the CSV tables' rows.
SOURCE_CHUNK_SIZE = 50

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
                "mobile",
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
                # As JSON: [{"name", "type", "size", "kept"}, ...].
                "attachments",
                "notes",
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


def original_messages(partition: ClientPartition) -> Iterator[tuple[str, bytes]]:
    """The raw RFC 822 source of each of the client's emails that has one, as
    ("<email id>.eml", bytes as received), in email id order, read in chunks."""
    sources = (
        EmailSource.objects.filter(email__partition=partition)
        .order_by("pk")
        .iterator(chunk_size=SOURCE_CHUNK_SIZE)
    )
    for source in sources:
        yield f"{source.email_id}.eml", source.raw()


def register_partition_data() -> None:
    """Register contacts, companies, emails and activity history with
    partitions.registry, and the emails' original messages as the export's
    `emails/` folder; the admin list counts contacts."""
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
    register_files(
        ExportFiles(
            key="original_emails",
            folder="emails",
            files=original_messages,
            model=EmailSource,
            partition_field="email__partition",
        )
    )


def expired_history_counts(partition: ClientPartition, cutoff) -> dict[str, int]:
    """How many of the client's activity entries and emails retention would delete
    at `cutoff` (contacts.actions.delete_expired_history): emails sent before it,
    activity entries that occurred before it or belong to such an email."""
    emails = Email.objects.filter(partition=partition, sent_at__lt=cutoff)
    activities = Activity.objects.filter(
        Q(partition=partition, occurred_at__lt=cutoff)
        | Q(email__in=emails.values("pk"))
    )
    return {"activities": activities.count(), "emails": emails.count()}


def register_retention(delete_expired_history) -> None:
    """Let retention (partitions.retention) delete the client's old emails and
    activity history, through contacts.actions.delete_expired_history (given by the
    app's ready(): contacts.actions reads this module's export tables, so this
    module does not import it back)."""
    register_expiring(
        ExpiringRecords(
            key="history",
            kinds=("activities", "emails"),
            count=expired_history_counts,
            delete=delete_expired_history,
        )
    )
