"""Builds a large client partition quickly, with set-based SQL (INSERT ... SELECT
generate_series), into either the project's tables or the anchor copy."""

from dataclasses import dataclass

from django.db import connection, transaction

from bench.pycascade.models import COPIES
from contacts.models import Activity, Company, Contact, Email
from partitions.models import ClientPartition
from services.models import Service


@dataclass(frozen=True)
class Shape:
    """How much data one client partition holds."""

    contacts: int
    companies: int
    emails: int
    activities: int

    @classmethod
    def default(cls, scale: float = 1) -> "Shape":
        """The issue's default: 200k contacts, 20k companies, 200k emails, 1M activity
        entries, times `scale`."""
        return cls(
            contacts=int(200_000 * scale),
            companies=int(20_000 * scale),
            emails=int(200_000 * scale),
            activities=int(1_000_000 * scale),
        )

    def scaled_to(self, contacts: int) -> "Shape":
        """The same proportions with another number of contacts."""
        factor = contacts / self.contacts
        return Shape(
            contacts=contacts,
            companies=max(1, int(self.companies * factor)),
            emails=int(self.emails * factor),
            activities=int(self.activities * factor),
        )

    @property
    def rows(self) -> int:
        return self.contacts + self.companies + self.emails + self.activities


PROJECT = {
    "partition": ClientPartition,
    "service": Service,
    "company": Company,
    "contact": Contact,
    "email": Email,
    "activity": Activity,
}
ANCHOR = {key: COPIES[model] for key, model in PROJECT.items()}


def _t(tables, key: str) -> str:
    return connection.ops.quote_name(tables[key]._meta.db_table)


def build_partition(tables: dict, tenant_id: int, name: str, shape: Shape) -> int:
    """Insert one partition with `shape` rows and two services; return its id.

    Foreign-key triggers are off while building (session_replication_role): the rows
    are consistent by construction, and checking each one would triple the build time.
    """
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL session_replication_role = replica")
        # The partition and its services through the ORM (a few rows): new columns
        # with defaults need no change here.
        pid = (
            tables["partition"]
            .objects.create(
                tenant_id=tenant_id, name=name, name_key=name.casefold(), enabled=True
            )
            .pk
        )
        tables["service"].objects.bulk_create(
            tables["service"](
                tenant_id=tenant_id,
                name=f"{name} #{pid}.{g}",
                type="inbound_voice",
                client_partition_id=pid,
            )
            for g in (1, 2)
        )
        cur.execute(
            f"INSERT INTO {_t(tables, 'company')} (tenant_id, partition_id, name)"
            " SELECT %s, %s, 'Company ' || g FROM generate_series(1, %s) g",
            [tenant_id, pid, shape.companies],
        )
        # Contacts spread over the companies; every tenth has none. Phones are valid
        # Japanese mobile numbers in E.164 (+81 90-1000-0001, ...), as routing stores
        # them.
        cur.execute(
            f"INSERT INTO {_t(tables, 'contact')} (tenant_id, partition_id,"
            " first_name, last_name, title, company_id, email, phone, created_at)"
            " SELECT %s, %s, 'First' || g, 'Last' || (g %% 997), '',"
            "  CASE WHEN g %% 10 = 0 THEN NULL ELSE c.id END,"
            "  'c' || g || '@p' || %s || '.example', '+8190' || (10000000 + g), now()"
            " FROM generate_series(1, %s) g"
            f" JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS rn"
            f"       FROM {_t(tables, 'company')} WHERE partition_id = %s) c"
            "  ON c.rn = g %% %s",
            [tenant_id, pid, pid, shape.contacts, pid, shape.companies],
        )
        contacts = (
            f"(SELECT id, row_number() OVER (ORDER BY id) - 1 AS rn"
            f" FROM {_t(tables, 'contact')} WHERE partition_id = {int(pid)})"
        )
        cur.execute(
            f"INSERT INTO {_t(tables, 'email')} (tenant_id, partition_id, direction,"
            " sender, recipients, subject, body, message_id, contact_id, sent_at)"
            " SELECT %s, %s, 'inbound', 'c@example.com', 'support@example.com',"
            "  'Subject ' || g, 'Body', '<' || %s || '-' || g || '@bench>', ct.id,"
            "  now() - g * interval '1 minute'"
            f" FROM generate_series(1, %s) g JOIN {contacts} ct"
            "  ON ct.rn = g %% %s",
            [tenant_id, pid, pid, shape.emails, shape.contacts],
        )
        # One activity entry in five records an email; the rest are calls.
        emails = (
            f"(SELECT id, contact_id, row_number() OVER (ORDER BY id) - 1 AS rn"
            f" FROM {_t(tables, 'email')} WHERE partition_id = {int(pid)})"
        )
        cur.execute(
            f"INSERT INTO {_t(tables, 'activity')} (tenant_id, partition_id, channel,"
            " direction, contact_id, email_id, occurred_at, summary)"
            " SELECT %s, %s, CASE WHEN g %% 5 = 0 THEN 'email' ELSE 'voice' END,"
            "  'inbound', e.contact_id, CASE WHEN g %% 5 = 0 THEN e.id END,"
            "  now() - g * interval '1 second', 'Entry ' || g"
            f" FROM generate_series(1, %s) g JOIN {emails} e ON e.rn = g %% %s",
            [tenant_id, pid, shape.activities, shape.emails],
        )
    return pid


def count_rows(tables: dict, partition_id: int) -> dict[str, int]:
    """How many rows of each kind the partition holds (for checks)."""
    counts = {}
    with connection.cursor() as cur:
        for key in ("company", "contact", "email", "activity"):
            cur.execute(
                f"SELECT count(*) FROM {_t(tables, key)} WHERE partition_id = %s",
                [partition_id],
            )
            counts[key] = cur.fetchone()[0]
    return counts


def vacuum(tables: dict) -> None:
    """VACUUM ANALYZE the tables, as autovacuum would have done in production."""
    with connection.cursor() as cur:
        for model in tables.values():
            cur.execute(
                f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}"
            )
