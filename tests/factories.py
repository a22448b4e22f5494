"""factory-boy factories for the contact center's models."""

from email import message_from_bytes, policy
from email.message import EmailMessage

import factory
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from ccadmin import actions as ccadmin_actions
from ccadmin.models import Membership, Tenant
from ccadmin.roles import ADMINISTRATORS, AGENTS, CLIENT_SUPERVISORS, ensure_roles
from contacts.mail_parts import attachment_parts
from contacts.models import Activity, Company, Contact, Direction, Email, EmailSource
from partitions.models import ClientPartition
from services.models import Service


class TenantFactory(factory.django.DjangoModelFactory):
    """A contact center hosted by the service provider."""

    class Meta:
        model = Tenant

    name = factory.Sequence(lambda n: f"Contact Center {n}")
    slug = factory.Sequence(lambda n: f"cc-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    """A user account with the password "pw"."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def _member(
    user: User, tenant: Tenant | None, role: str, clients: list | None = None
) -> User:
    """`user` in `role` at `tenant`: for every client, or (`clients`, a list,
    possibly empty) for those clients only, set through ccadmin.actions."""
    membership = Membership.objects.create(user=user, tenant=tenant or TenantFactory())
    user.groups.add(ensure_roles()[role])
    if clients is not None:
        ccadmin_actions.set_person_clients(membership, clients, actor=None)
    return user


def administrator(tenant: Tenant | None = None, **kwargs) -> User:
    """A staff user of `tenant` in the "Contact center administrators" group."""
    return _member(UserFactory(is_staff=True, **kwargs), tenant, ADMINISTRATORS)


def unplaced_administrator(**kwargs) -> User:
    """A staff user in the "Contact center administrators" group whom the service
    provider has not (yet) put in a tenant: no membership."""
    user = UserFactory(is_staff=True, **kwargs)
    user.groups.add(ensure_roles()[ADMINISTRATORS])
    return user


def agent(tenant: Tenant | None = None, clients: list | None = None, **kwargs) -> User:
    """A non-staff user of `tenant` in the "Agents" group, working for every client,
    or for `clients` only."""
    return _member(UserFactory(**kwargs), tenant, AGENTS, clients)


def client_supervisor(
    tenant: Tenant | None = None, clients: list | None = None, **kwargs
) -> User:
    """A staff user of `tenant` in the "Client supervisors" group, working for
    `clients` only (by default none: give the clients they supervise)."""
    return _member(
        UserFactory(is_staff=True, **kwargs),
        tenant,
        CLIENT_SUPERVISORS,
        [] if clients is None else clients,
    )


def client_with_lines(tenant: Tenant, name: str = "Acme") -> ClientPartition:
    """A BPO client with a phone line ("<name> Line") and an email service
    ("<name> Email") assigned to it: what incoming interactions are routed to."""
    partition = ClientPartitionFactory(tenant=tenant, name=name)
    ServiceFactory(tenant=tenant, name=f"{name} Line", client_partition=partition)
    ServiceFactory(
        tenant=tenant, name=f"{name} Email", type="email", client_partition=partition
    )
    return partition


def signed_in(user: User, **kwargs) -> Client:
    """A browser signed in as `user` (kwargs: the test Client's, e.g. headers)."""
    client = Client(**kwargs)
    client.force_login(user)
    return client


def superuser(**kwargs) -> User:
    """A service provider account: sees every tenant."""
    return UserFactory(is_staff=True, is_superuser=True, **kwargs)


class ClientPartitionFactory(factory.django.DjangoModelFactory):
    """A BPO client of a tenant (saved directly, not through the limit check)."""

    class Meta:
        model = ClientPartition

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Client {n}")
    description = "Customer service for this client."


class ServiceFactory(factory.django.DjangoModelFactory):
    """A service (queue) of a tenant, unassigned unless given a partition."""

    class Meta:
        model = Service

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Service {n}")
    type = Service.Type.INBOUND_VOICE


class CompanyFactory(factory.django.DjangoModelFactory):
    """A company of a client's contacts."""

    class Meta:
        model = Company

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Company {n}")


class ContactFactory(factory.django.DjangoModelFactory):
    """A contact of a tenant, in no partition unless given one."""

    class Meta:
        model = Contact

    tenant = factory.SubFactory(TenantFactory)
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = "Contact"
    email = factory.Sequence(lambda n: f"contact{n}@example.com")
    phone = factory.Sequence(lambda n: f"+8190{n:08d}")


class EmailFactory(factory.django.DjangoModelFactory):
    """An inbound email."""

    class Meta:
        model = Email

    tenant = factory.SubFactory(TenantFactory)
    direction = Direction.INBOUND
    sender = "customer@example.com"
    recipients = "support@example.com"
    subject = factory.Sequence(lambda n: f"Question {n}")
    body = "Hello"
    message_id = factory.Sequence(lambda n: f"<msg-{n}@example.com>")
    sent_at = factory.LazyFunction(timezone.now)


class ActivityFactory(factory.django.DjangoModelFactory):
    """One entry of activity history: an inbound call by default."""

    class Meta:
        model = Activity

    tenant = factory.SubFactory(TenantFactory)
    channel = Activity.Channel.VOICE
    direction = Direction.INBOUND
    occurred_at = factory.LazyFunction(timezone.now)
    summary = "Call"


def client_with_data(
    tenant: Tenant, name: str, *, contacts: int = 3, companies: int = 2
) -> ClientPartition:
    """A partition holding companies, contacts, one email and two activity entries
    per contact: what a real client's data looks like, in small."""
    partition = ClientPartitionFactory(tenant=tenant, name=name)
    firms = CompanyFactory.create_batch(companies, tenant=tenant, partition=partition)
    for i in range(contacts):
        contact = ContactFactory(
            tenant=tenant, partition=partition, company=firms[i % companies]
        )
        email = EmailFactory(tenant=tenant, partition=partition, contact=contact)
        ActivityFactory(
            tenant=tenant,
            partition=partition,
            contact=contact,
            email=email,
            channel=Activity.Channel.EMAIL,
        )
        ActivityFactory(tenant=tenant, partition=partition, contact=contact)
    return partition


def gateway_token(tenant: Tenant, name: str = "PBX", **kwargs) -> tuple:
    """A gateway token of `tenant` for the interactions API: (token, its key)."""
    from services.models import GatewayToken

    token = GatewayToken(tenant=tenant, name=name, **kwargs)
    key = token.set_new_key()
    token.save()
    return token, key


def api_token(
    user: User,
    name: str = "CRM sync",
    *,
    expires_days: int | None = None,
    allow_only_staff: bool = False,
    **kwargs,
) -> tuple:
    """A personal API token of `user`, made through ccadmin.actions (audited, its
    tenant set from the user's): (token, its key). `kwargs` then set other fields
    (revoked_at, last_used_at, ...) directly. A user without admin access (an
    agent) gets one as if made before they lost it, unless `allow_only_staff`."""
    # An agent (not staff) gets no token now; one made before they lost admin
    # access is what the API must still refuse, so it is made as if they had it.
    was_staff = user.is_staff
    user.is_staff = was_staff or not allow_only_staff
    try:
        token, key = ccadmin_actions.create_api_token(
            user=user, name=name, expires_days=expires_days, actor=None
        )
    finally:
        user.is_staff = was_staff
    if kwargs:
        for field, value in kwargs.items():
            setattr(token, field, value)
        token.save(update_fields=list(kwargs))
    return token, key


# A PDF-ish payload: the bytes a download must give back exactly.
PDF_BYTES = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


def customer_message(*, html: str = "<p>Bonjour</p>", attachments: tuple = ()) -> bytes:
    """Real RFC 822 bytes of a customer's email: a plain and an HTML body, a PDF
    named "請求書.pdf" (non-ASCII, RFC 2231-encoded by the email package) and
    `attachments` given as (name, maintype, subtype, bytes)."""
    message = EmailMessage()
    message["From"] = "Taro Yamada <taro@example.jp>"
    message["To"] = "support@acme.example"
    message["Subject"] = "請求書について"
    message["Message-ID"] = "<invoice-1@example.jp>"
    message.set_content("請求書を添付します。\n")
    message.add_alternative(html, subtype="html")
    message.add_attachment(
        PDF_BYTES, maintype="application", subtype="pdf", filename="請求書.pdf"
    )
    for name, maintype, subtype, content in attachments:
        message.add_attachment(
            content, maintype=maintype, subtype=subtype, filename=name
        )
    return message.as_bytes()


def listed_attachments(raw: bytes, *, kept: bool = True) -> list[dict]:
    """Email.attachments as intake lists them from the message `raw`: each
    attachment part (contacts.mail_parts) by name, type and decoded size."""
    message = message_from_bytes(raw, policy=policy.default)
    return [
        {
            "name": part.get_filename() or "",
            "type": part.get_content_type(),
            "size": len(part.get_payload(decode=True) or b""),
            "kept": kept,
        }
        for part in attachment_parts(message)
    ]


def email_with_source(
    tenant: Tenant, raw: bytes | None = None, *, kept: bool = True, **fields
) -> Email:
    """An inbound email as intake records it: its attachments listed from its
    source `raw` (customer_message() by default), which is stored compressed."""
    raw = customer_message() if raw is None else raw
    fields.setdefault("attachments", listed_attachments(raw, kept=kept))
    email = EmailFactory(tenant=tenant, **fields)
    EmailSource.of(email, raw).save()
    return email
