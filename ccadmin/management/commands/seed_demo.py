"""Load the demo contact centers: tenants, users for each role, clients and history."""

import random
from datetime import timedelta

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from ccadmin.models import Membership, Tenant
from ccadmin.roles import ADMINISTRATORS, AGENTS, ensure_roles
from contacts.models import Activity, Company, Contact, Direction, Email
from partitions.actions import create_client_partition
from partitions.models import ClientPartition
from services.models import Service

DEMO_PASSWORD = "ccadmin-demo"

# (username, tenant slug or None for the service provider, group, staff)
DEMO_USERS = [
    ("provider", None, None, True),
    ("admin", "sakura", ADMINISTRATORS, True),
    ("agent", "sakura", AGENTS, False),
    ("northwind-admin", "northwind", ADMINISTRATORS, True),
]

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


class Command(BaseCommand):
    """`manage.py seed_demo`: idempotent demo data for `make run`."""

    help = "Load demo tenants, users, client partitions, services and contacts (once)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--contacts",
            type=int,
            default=6,
            help="Contacts per demo client (default 6).",
        )

    def handle(self, *args, contacts: int, **options):
        if contacts < 0:
            self.stderr.write("--contacts must be 0 or more.")
            raise SystemExit(2)
        with transaction.atomic():
            created = self._seed(contacts)
        if options["verbosity"]:
            self.stdout.write(
                "Demo data loaded." if created else "Demo data already present."
            )

    def _seed(self, per_client: int) -> bool:
        groups = ensure_roles()
        tenants = {}
        for slug, spec in DEMO_TENANTS.items():
            tenants[slug], _ = Tenant.objects.get_or_create(
                slug=slug, defaults={"name": spec["name"]}
            )
        users = {}
        for username, slug, group, staff in DEMO_USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User(username=username, is_staff=staff)
                user.is_superuser = slug is None
                user.set_password(DEMO_PASSWORD)
                user.save()
                if slug:
                    Membership.objects.create(user=user, tenant=tenants[slug])
                if group:
                    user.groups.add(groups[group])
            users[username] = user
        if ClientPartition.objects.filter(tenant__slug__in=DEMO_TENANTS).exists():
            return False
        rng = random.Random(2026)
        for slug, spec in DEMO_TENANTS.items():
            self._seed_tenant(tenants[slug], spec, users["provider"], per_client, rng)
        return True

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
            services[name] = Service.objects.create(
                tenant=tenant,
                name=name,
                type=kind,
                client_partition=clients.get(client),
                email_address=SERVICE_EMAIL_ADDRESSES.get(name, ""),
            )
        now = timezone.now()
        for client in [*clients.values(), None]:
            company = Company.objects.create(
                tenant=tenant,
                partition=client,
                name=f"{client.name if client else 'Independent'} Customers Ltd",
            )
            service = next(
                (s for s in services.values() if s.client_partition == client), None
            )
            for i in range(per_client):
                first, last = rng.choice(FIRST), rng.choice(LAST)
                contact = Contact.objects.create(
                    tenant=tenant,
                    partition=client,
                    first_name=first,
                    last_name=last,
                    company=company if i % 2 == 0 else None,
                    email=f"{first}.{last}.{i}@example.com".lower(),
                    phone=f"+8190{rng.randrange(10**7, 10**8)}",
                )
                sent = now - timedelta(hours=rng.randrange(1, 24 * 30))
                email = Email.objects.create(
                    tenant=tenant,
                    partition=client,
                    direction=Direction.INBOUND,
                    sender=contact.email,
                    recipients="support@example.com",
                    subject=f"Question about my account #{rng.randrange(1000, 9999)}",
                    body="Hello, could you call me back? Thanks.",
                    message_id=f"<demo-{tenant.slug}-{contact.pk}@example.com>",
                    service=service,
                    contact=contact,
                    sent_at=sent,
                )
                Activity.objects.create(
                    tenant=tenant,
                    partition=client,
                    channel=Activity.Channel.EMAIL,
                    direction=Direction.INBOUND,
                    service=service,
                    contact=contact,
                    email=email,
                    occurred_at=sent,
                    summary=email.subject,
                )
                Activity.objects.create(
                    tenant=tenant,
                    partition=client,
                    channel=Activity.Channel.VOICE,
                    direction=Direction.OUTBOUND,
                    service=service,
                    contact=contact,
                    occurred_at=sent + timedelta(minutes=rng.randrange(5, 120)),
                    summary="Called back; question answered.",
                )
