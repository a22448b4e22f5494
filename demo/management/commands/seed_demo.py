"""Load the demo contact centers: tenants, users for each role, clients and history."""

import csv
import io
import random
import sys
import unicodedata
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ccadmin import actions as ccadmin_actions
from ccadmin.cli import ContactCenterCommand, tenant_from_option
from ccadmin.counts import count_of
from ccadmin.models import Membership, Tenant
from ccadmin.roles import ADMINISTRATORS, AGENTS, CLIENT_SUPERVISORS, ensure_roles
from ccadmin.text import name_key
from contacts import actions as contact_actions
from contacts.models import Activity, Company, Contact, Direction, Email
from partitions.actions import create_client_partition
from partitions.cli import partition_from_option
from partitions.limit import ClientPartitionLimitReached
from partitions.models import ClientPartition
from services import actions as service_actions
from services.models import Service

DEMO_PASSWORD = "ccadmin-demo"
DEMO_CONTACTS_PER_CLIENT = 6
# Rows per bulk insert, and contacts per transaction, of the --contacts path.
BULK_CONTACTS = 5000
ACTIVITIES_PER_CONTACT = 5
CONTACTS_PER_COMPANY = 10

# (username, tenant slug or None for the service provider, group, staff)
DEMO_USERS = [
    ("provider", None, None, True),
    ("admin", "sakura", ADMINISTRATORS, True),
    ("agent", "sakura", AGENTS, False),
    ("acme-supervisor", "sakura", CLIENT_SUPERVISORS, True),
    ("northwind-admin", "northwind", ADMINISTRATORS, True),
]

# People who work for some clients only: username -> the clients (of their tenant).
DEMO_CLIENT_SCOPES = {"acme-supervisor": ["Acme Insurance"]}

# The demo's contact centers work in Japan: their people see Tokyo time.
DEMO_TIME_ZONE = "Asia/Tokyo"

DEMO_TENANTS = {
    "sakura": {
        "name": "Sakura BPO",
        "clients": [
            ("Acme Insurance", "Claims and policy questions.", True),
            ("Globex Telecom", "Billing and technical support, 24/7.", True),
            ("さくら銀行", "Retail banking help desk (Japanese).", True),
            ("Initech", "Contract ended; kept for reference.", False),
        ],
        "services": [
            ("Acme Claims Line", Service.Type.INBOUND_VOICE, "Acme Insurance"),
            ("Acme Email", Service.Type.EMAIL, "Acme Insurance"),
            ("Globex Support", Service.Type.BLENDED_VOICE, "Globex Telecom"),
            ("Globex Chat", Service.Type.CHAT, "Globex Telecom"),
            ("さくら銀行 窓口", Service.Type.INBOUND_VOICE, "さくら銀行"),
            ("Initech Helpdesk", Service.Type.INBOUND_VOICE, "Initech"),
            ("General Enquiries", Service.Type.INBOUND_VOICE, None),
            ("さくら銀行 メール", Service.Type.EMAIL, "さくら銀行"),
            ("Initech Email", Service.Type.EMAIL, "Initech"),
        ],
    },
    "northwind": {
        "name": "Northwind Contact Center",
        "clients": [("Contoso Retail", "Order tracking and returns.", True)],
        "services": [("Contoso Orders", Service.Type.INBOUND_VOICE, "Contoso Retail")],
    },
}

# The addresses customers write to: incoming email finds its service by them
# (receive_interactions, demo/interactions/*.eml).
SERVICE_EMAIL_ADDRESSES = {
    "Acme Email": "acme.support@sakura-bpo.example",
    "さくら銀行 メール": "sakura-bank@sakura-bpo.example",
    "Initech Email": "initech.support@sakura-bpo.example",
}

FIRST = ["Aiko", "Ben", "Chloe", "Daichi", "Emma", "Felix", "Hana", "Ivan", "Yui"]
LAST = ["Tanaka", "Smith", "Suzuki", "Garcia", "Sato", "Müller", "Ito", "Brown"]


class Command(ContactCenterCommand):
    """`manage.py seed_demo`: idempotent demo data for `make run`."""

    help = gettext_lazy(
        "Load demo tenants, users, client partitions, services and contacts (once)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--contacts",
            type=int,
            default=None,
            metavar="N",
            help=gettext_lazy(
                "Also make one client hold N contacts, each with one email and five "
                "activity entries, and one company per ten contacts (bulk inserts, for "
                "benchmarks). Tops up to N: running it again adds nothing."
            ),
        )
        parser.add_argument(
            "--tenant",
            default="sakura",
            help=gettext_lazy(
                "The tenant (slug) of the large client (default sakura)."
            ),
        )
        parser.add_argument(
            "--partition",
            default="Acme Insurance",
            help=gettext_lazy(
                "The client to fill with --contacts (default Acme Insurance). It "
                "must exist: add it with 'partitions add' first."
            ),
        )

    def handle(self, *args, contacts: int | None, **options):
        if contacts is not None and contacts < 0:
            raise CommandError(_("--contacts must be 0 or more."))
        try:
            with transaction.atomic():
                created = self._seed(DEMO_CONTACTS_PER_CLIENT)
        except ClientPartitionLimitReached as exc:
            # A tenant whose limit is below the demo's clients: the limit's own
            # words, one line, and nothing of the demo is kept.
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        if options["verbosity"]:
            self.stdout.write(
                _("Demo data loaded.") if created else _("Demo data already present.")
            )
        if contacts is not None:
            tenant = tenant_from_option(options["tenant"])
            # Refused in one line before any row is written; the limit is the
            # `partitions add` command's to enforce, not a side effect of filling.
            partition = partition_from_option(tenant, options["partition"])
            added = bulk_fill_client(
                tenant,
                partition.name,
                contacts,
                actor=User.objects.get(username="provider"),
                progress=options["verbosity"] >= 1 and sys.stderr.isatty(),
            )
            if options["verbosity"]:
                self.stdout.write(
                    _('"%(name)s" holds %(contacts)s (%(added)s added).')
                    % {
                        "name": partition.name,
                        "contacts": count_of("contacts", contacts),
                        "added": f"{added:,}",
                    }
                )

    def _seed(self, per_client: int) -> bool:
        # Written through each app's actions, like every other path: the demo's
        # rows are checked, normalised and audited as the service provider's work.
        groups = ensure_roles()
        users = {}
        for username, slug, group, staff in DEMO_USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User(username=username, is_staff=staff)
                user.is_superuser = slug is None
                user.set_password(DEMO_PASSWORD)
                user.save()
                if group:
                    user.groups.add(groups[group])
            users[username] = user
        provider = users["provider"]
        tenants = {
            slug: Tenant.objects.filter(slug=slug).first()
            or ccadmin_actions.add_tenant(
                Tenant(slug=slug, name=spec["name"], time_zone=DEMO_TIME_ZONE),
                actor=provider,
            )
            for slug, spec in DEMO_TENANTS.items()
        }
        for username, slug, _group, _staff in DEMO_USERS:
            if slug and not Membership.objects.filter(user=users[username]).exists():
                ccadmin_actions.add_membership(
                    Membership(user=users[username], tenant=tenants[slug]),
                    actor=provider,
                )
        created = False
        if not ClientPartition.objects.filter(tenant__slug__in=DEMO_TENANTS).exists():
            rng = random.Random(2026)
            for slug, spec in DEMO_TENANTS.items():
                self._seed_tenant(tenants[slug], spec, provider, per_client, rng)
            created = True
        self._scope_people(users, provider)
        return created

    def _scope_people(self, users, provider) -> None:
        """Restrict the demo's client-scoped people (DEMO_CLIENT_SCOPES) to their
        clients, through ccadmin.actions; a person already restricted is left as
        they are."""
        for username, client_names in DEMO_CLIENT_SCOPES.items():
            membership = Membership.objects.get(user=users[username])
            if not membership.all_client_partitions:
                continue
            clients = ClientPartition.objects.filter(
                tenant=membership.tenant,
                name_key__in=[name_key(name) for name in client_names],
            )
            ccadmin_actions.set_person_clients(membership, clients, actor=provider)

    def _seed_tenant(self, tenant, spec, actor, per_client, rng) -> None:
        clients = {}
        for name, description, enabled in spec["clients"]:
            clients[name] = create_client_partition(
                ClientPartition(
                    tenant=tenant, name=name, description=description, enabled=enabled
                ),
                actor=actor,
            )
        services = {}
        for name, kind, client in spec["services"]:
            services[name] = service_actions.add_service(
                Service(
                    tenant=tenant,
                    name=name,
                    type=kind,
                    client_partition=clients.get(client),
                    email_address=SERVICE_EMAIL_ADDRESSES.get(name, ""),
                ),
                actor=actor,
            )
        now = timezone.now()
        for client in [*clients.values(), None]:
            of_client = {"tenant": tenant, "partition": client}
            company = contact_actions.add_company(
                Company(
                    **of_client,
                    name=f"{client.name if client else 'Independent'} Customers Ltd",
                ),
                actor=actor,
            )
            service = next(
                (s for s in services.values() if s.client_partition == client), None
            )
            for i in range(per_client):
                first, last = rng.choice(FIRST), rng.choice(LAST)
                contact = contact_actions.add_contact(
                    Contact(
                        **of_client,
                        first_name=first,
                        last_name=last,
                        company=company if i % 2 == 0 else None,
                        email=_ascii(f"{first}.{last}.{i}@example.com".lower()),
                        phone=f"+8190{rng.randrange(10**7, 10**8)}",
                    ),
                    actor=actor,
                )
                sent = now - timedelta(hours=rng.randrange(1, 24 * 30))
                email = contact_actions.add_email(
                    Email(
                        **of_client,
                        direction=Direction.INBOUND,
                        sender=contact.email,
                        recipients="support@example.com",
                        subject=f"Question about my account "
                        f"#{rng.randrange(1000, 9999)}",
                        body="Hello, could you call me back? Thanks.",
                        message_id=f"<demo-{tenant.slug}-{contact.pk}@example.com>",
                        service=service,
                        contact=contact,
                        sent_at=sent,
                    ),
                    actor=actor,
                )
                called_back = sent + timedelta(minutes=rng.randrange(5, 120))
                for channel, direction, email_of, when, summary in [
                    (Activity.Channel.EMAIL, Direction.INBOUND, email, sent,
                     email.subject),
                    (Activity.Channel.VOICE, Direction.OUTBOUND, None, called_back,
                     "Called back; question answered."),
                ]:  # fmt: skip
                    contact_actions.add_activity(
                        Activity(
                            **of_client,
                            channel=channel,
                            direction=direction,
                            service=service,
                            contact=contact,
                            email=email_of,
                            occurred_at=when,
                            summary=summary,
                        ),
                        actor=actor,
                    )


def _ascii(address: str) -> str:
    """An address Django's EmailValidator accepts ("müller" -> "muller"), so the demo's
    contacts pass the model's rules when exported and imported again."""
    return unicodedata.normalize("NFKD", address).encode("ascii", "ignore").decode()


def bulk_fill_client(
    tenant: Tenant, name: str, total: int, *, actor, progress: bool = False
) -> int:
    """Make the client `name` of `tenant` hold `total` contacts (adding only what is
    missing), each with one email and five activity entries, one company per ten
    contacts; return how many contacts were added.

    Bulk inserts in transactions of 5,000 contacts: a million contacts with their
    history take minutes on PostgreSQL, where one save() per row takes hours. This is
    the one writer that bypasses the actions, on purpose: it loads synthetic load-test
    data (benchmarks, scale trials), generated already in its stored form, and audits
    the load once rather than per row; the demo's own rows above go through the
    actions.
    """
    from tqdm import tqdm

    partition = ClientPartition.objects.filter(
        tenant=tenant, name_key=name_key(name)
    ).first()
    if partition is None:
        partition = create_client_partition(
            ClientPartition(tenant=tenant, name=name), actor=actor
        )
    service = Service.objects.filter(client_partition=partition).first()
    existing = Contact.objects.filter(partition=partition).count()
    missing = max(total - existing, 0)
    rng = random.Random(existing)
    now = timezone.now()
    with tqdm(
        total=missing, unit="contacts", disable=not progress, file=sys.stderr
    ) as bar:
        for start in range(existing, existing + missing, BULK_CONTACTS):
            size = min(BULK_CONTACTS, existing + missing - start)
            with transaction.atomic():
                _bulk_chunk(tenant, partition, service, start, size, rng, now)
            bar.update(size)
    if missing:
        contact_actions.log_contact_import(
            actor,
            partition,
            f"Demo load: {missing:,} contacts added with their history "
            f"(seed_demo --contacts {total})",
        )
    return missing


def _bulk_chunk(tenant, partition, service, start, size, rng, now) -> None:
    """Insert contacts number start..start+size-1 of the client, with their history."""
    first_company = -(-start // CONTACTS_PER_COMPANY)  # companies already made
    end_company = -(-(start + size) // CONTACTS_PER_COMPANY)
    company_ids = _new_ids(Company, end_company - first_company)
    by_number = dict(zip(range(first_company, end_company), company_ids, strict=True))
    _insert(
        Company,
        ["id", "tenant_id", "partition_id", "name"],
        [
            (pk, tenant.pk, partition.pk, f"Company {n:07d}")
            for n, pk in by_number.items()
        ],
    )
    contact_ids = _new_ids(Contact, size)
    numbers = range(start, start + size)
    _insert(
        Contact,
        [
            "id",
            "tenant_id",
            "partition_id",
            "first_name",
            "last_name",
            "title",
            "company_id",
            "email",
            "phone",
            "created_at",
        ],
        [
            (
                pk,
                tenant.pk,
                partition.pk,
                FIRST[n % len(FIRST)],
                LAST[(n // len(FIRST)) % len(LAST)],
                "",
                by_number.get(n // CONTACTS_PER_COMPANY),
                f"contact{n}@example.com",
                f"+8150{n:08d}",
                now,
            )
            for n, pk in zip(numbers, contact_ids, strict=True)
        ],
    )
    service_id = service.pk if service else None
    email_ids = _new_ids(Email, size)
    sent = [now - timedelta(minutes=rng.randrange(1, 60 * 24 * 365)) for _ in numbers]
    _insert(
        Email,
        [
            "id",
            "tenant_id",
            "partition_id",
            "direction",
            "sender",
            "recipients",
            "subject",
            "body",
            "message_id",
            "service_id",
            "contact_id",
            "sent_at",
        ],
        [
            (
                pk,
                tenant.pk,
                partition.pk,
                Direction.INBOUND,
                f"contact{n}@example.com",
                "support@example.com",
                "Question about my account",
                "Hello, could you call me back? Thanks.",
                f"<bulk-{partition.pk}-{contact}@example.com>",
                service_id,
                contact,
                when,
            )
            for n, pk, contact, when in zip(
                numbers, email_ids, contact_ids, sent, strict=True
            )
        ],
    )
    channels = [Activity.Channel.VOICE, Activity.Channel.CHAT]
    activities = []
    for contact, email, when in zip(contact_ids, email_ids, sent, strict=True):
        activities.append(
            (
                tenant.pk,
                partition.pk,
                Activity.Channel.EMAIL,
                Direction.INBOUND,
                service_id,
                contact,
                email,
                when,
                "Question about my account",
            )
        )
        for k in range(ACTIVITIES_PER_CONTACT - 1):
            activities.append(
                (
                    tenant.pk,
                    partition.pk,
                    channels[k % 2],
                    Direction.OUTBOUND if k % 2 else Direction.INBOUND,
                    service_id,
                    contact,
                    None,
                    when + timedelta(hours=k + 1),
                    "Call handled.",
                )
            )
    _insert(
        Activity,
        [
            "tenant_id",
            "partition_id",
            "channel",
            "direction",
            "service_id",
            "contact_id",
            "email_id",
            "occurred_at",
            "summary",
        ],
        activities,
    )


def _new_ids(model, count: int) -> list[int]:
    """Reserve `count` primary keys of `model`, so rows can refer to each other
    before they are inserted."""
    if count <= 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                "FROM generate_series(1, %s)",
                [table, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite: the next ids after the largest (the transaction holds the lock).
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
        top = cursor.fetchone()[0]
        return list(range(top + 1, top + 1 + count))


def _insert(model, columns: list[str], rows: list[tuple]) -> None:
    """Insert rows fast: PostgreSQL's COPY (about ten times bulk_create's speed for
    millions of rows), executemany elsewhere. Values are the database's own: ids,
    not objects."""
    if not rows:
        return
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            buffer = io.StringIO()
            csv.writer(buffer).writerows(
                [["\\N" if v is None else _copy_value(v) for v in row] for row in rows]
            )
            buffer.seek(0)
            cursor.cursor.copy_expert(
                f"COPY {table} ({', '.join(columns)}) FROM STDIN "
                "WITH (FORMAT csv, NULL '\\N')",
                buffer,
            )
            return
        marks = ", ".join(["%s"] * len(columns))
        cursor.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
            [
                [
                    connection.ops.adapt_datetimefield_value(v)
                    if isinstance(v, datetime)
                    else v
                    for v in row
                ]
                for row in rows
            ],
        )


def _copy_value(value):
    if isinstance(value, datetime):
        return value.isoformat()
    return value
