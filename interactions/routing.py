"""Routing of incoming interactions (calls, chats, emails) to BPO clients.

`route_interaction` is the one function every entry point calls: the
`receive_interactions` command and the HTTP API for gateways. An interaction arriving
through a service assigned to an enabled client partition is recorded in that
partition; otherwise it is recorded with no partition. Nothing valid is ever dropped,
a bad record is refused whole, and an email already received (same Message-ID, per
tenant) is reported as a duplicate instead of being recorded twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.utils import getaddresses, parseaddr

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from ccadmin.locks import lock_tenant
from ccadmin.models import Tenant
from ccadmin.text import normalize_name
from contacts.actions import contact_for_sender, record_interaction
from contacts.models import Activity, Direction, Email
from contacts.phones import normalize_phone
from partitions.locks import lock_client_partition
from partitions.models import ClientPartition
from services.models import Service

# The channels an interaction can arrive on (those of the activity history).
CHANNELS = [choice.value for choice in Activity.Channel]
_HEADER_MAX = 998  # RFC 5322's line limit: Email.subject and Email.message_id


class InteractionRejected(Exception):
    """An incoming interaction that cannot be recorded, with the reason per field.

    `errors` maps the input's field names ("service", "channel", "from", "to",
    "subject", "body", "message_id", "occurred_at") to messages.
    """

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__(
            "; ".join(
                " ".join(msgs) if field == "__all__" else f"{field}: {' '.join(msgs)}"
                for field, msgs in errors.items()
            )
        )


@dataclass(frozen=True)
class RoutedInteraction:
    """What routing recorded for one interaction (or found already recorded)."""

    activity_id: int | None
    email_id: int | None
    contact_id: int | None
    service: Service
    partition: ClientPartition | None
    duplicate: bool = False
    contact_created: bool = False

    def as_json(self) -> dict:
        """The ids and assignment, as the API answers them."""
        return {
            "activity_id": self.activity_id,
            "email_id": self.email_id,
            "contact_id": self.contact_id,
            "service": self.service.name,
            "client_partition": (
                {"id": self.partition.pk, "name": self.partition.name}
                if self.partition
                else None
            ),
            "duplicate": self.duplicate,
        }


def route_interaction(
    tenant: Tenant,
    *,
    service: str | int | None,
    channel: str,
    sender: str,
    sender_name: str = "",
    recipients: Iterable[str] | str = (),
    subject: str = "",
    body: str = "",
    message_id: str = "",
    occurred_at: datetime | None = None,
    actor=None,
) -> RoutedInteraction:
    """Record one incoming call, chat or email of `tenant` in the right BPO client.

    `service` is a service's name or id; when empty, an email finds its service by
    the address it was sent to (Service.email_address). `sender` is a phone number or
    an email address (optionally "Name <address>"). The contact is found by address
    or phone inside the assigned partition, or created there; an Activity (and for
    email an Email) is recorded there. The partition is the service's, only while it
    is enabled; otherwise none. A contact created for a new sender is audited as
    `actor` (None: the system account, as for the gateways' deliveries).

    Raises InteractionRejected with the errors per field; nothing is written then.
    Runs in one transaction holding the tenant's row lock, so concurrent deliveries
    of the same email or from the same new sender never record it twice.
    """
    fields = _validated(
        channel=channel,
        sender=sender,
        sender_name=sender_name,
        recipients=recipients,
        subject=subject,
        body=body,
        message_id=message_id,
        occurred_at=occurred_at,
    )
    try:
        with transaction.atomic():
            return _record(tenant, service, fields, actor)
    except IntegrityError:
        # Only reachable if a delivery of the same Message-ID slipped past the lock
        # (it cannot on PostgreSQL or SQLite): report it as the duplicate it is.
        existing = _already_received(tenant, fields["message_id"])
        if existing is None:
            raise
        return existing


def _validated(**raw) -> dict:
    """Check and normalise every field, collecting all errors before refusing."""
    errors: dict[str, list[str]] = {}
    fields = dict(raw)
    channel = (raw["channel"] or "").strip().lower()
    if channel not in CHANNELS:
        errors["channel"] = [
            _("Unknown channel %(channel)r: use one of %(channels)s.")
            % {"channel": raw["channel"], "channels": ", ".join(CHANNELS)}
        ]
    fields["channel"] = channel

    name, address = _split_sender(raw["sender"] or "")
    fields["sender_name"] = (raw["sender_name"] or name).strip()
    fields["email"] = fields["phone"] = ""
    if not address:
        errors["from"] = [_("The sender is missing.")]
    elif channel == Activity.Channel.EMAIL or (
        channel != Activity.Channel.VOICE and "@" in address
    ):
        try:
            validate_email(address)
            fields["email"] = address.lower()
        except ValidationError:
            errors["from"] = [
                _("%(value)r is not a valid email address.") % {"value": address}
            ]
    else:
        try:
            fields["phone"] = normalize_phone(address)
        except ValidationError:
            errors["from"] = [
                _("%(value)r is not a valid phone number or email address.")
                % {"value": address}
            ]

    recipients = raw["recipients"]
    if isinstance(recipients, str):
        recipients = [recipients]
    addresses = [addr for _n, addr in getaddresses(list(recipients)) if addr]
    bad = [addr for addr in addresses if not _is_email(addr)]
    if channel == Activity.Channel.EMAIL and bad:
        errors["to"] = [
            _("Not a valid email address: %(values)s.") % {"values": ", ".join(bad)}
        ]
    fields["recipients"] = [addr.lower() for addr in addresses]

    fields["subject"] = " ".join((raw["subject"] or "").split())
    if len(fields["subject"]) > _HEADER_MAX:
        errors["subject"] = [
            _("The subject is longer than %(max)s characters.") % {"max": _HEADER_MAX}
        ]
    fields["message_id"] = (raw["message_id"] or "").strip()
    if len(fields["message_id"]) > _HEADER_MAX:
        errors["message_id"] = [
            _("The message id is longer than %(max)s characters.")
            % {"max": _HEADER_MAX}
        ]
    occurred = raw["occurred_at"] or timezone.now()
    if timezone.is_naive(occurred):
        occurred = timezone.make_aware(occurred)
    fields["occurred_at"] = occurred
    fields["body"] = raw["body"] or ""
    if errors:
        raise InteractionRejected(errors)
    return fields


def _split_sender(value: str) -> tuple[str, str]:
    """("Name", "address") from "Name <address>", or ("", value) for a bare one."""
    value = value.strip()
    if "<" in value:
        name, address = parseaddr(value)
        if address:
            return name, address
    return "", value


def _is_email(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def _find_service(tenant: Tenant, service: str | int | None, recipients: list[str]):
    services = Service.objects.filter(tenant=tenant)
    if isinstance(service, int):
        found = services.filter(pk=service).first()
    elif service and str(service).strip():
        found = services.filter(name=normalize_name(str(service))).first()
    elif recipients:
        found = services.filter(email_address__in=recipients).order_by("pk").first()
        if found is None:
            raise InteractionRejected(
                {
                    "service": [
                        _(
                            "No service receives email at %(addresses)s: name the "
                            "service."
                        )
                        % {"addresses": ", ".join(recipients)}
                    ]
                }
            )
    else:
        raise InteractionRejected({"service": [_("The service is missing.")]})
    if found is None:
        raise InteractionRejected(
            {"service": [_("Unknown service %(service)r.") % {"service": service}]}
        )
    return found


def _already_received(tenant: Tenant, message_id: str) -> RoutedInteraction | None:
    if not message_id:
        return None
    email = (
        Email.objects.filter(tenant=tenant, message_id=message_id)
        .select_related("service", "partition")
        .first()
    )
    if email is None:
        return None
    activity = email.activities.order_by("pk").first()
    return RoutedInteraction(
        activity_id=activity.pk if activity else None,
        email_id=email.pk,
        contact_id=email.contact_id,
        service=email.service,
        partition=email.partition,
        duplicate=True,
    )


def _record(tenant: Tenant, service_ref, fields: dict, actor) -> RoutedInteraction:
    # Lock order: tenant, then partition (ccadmin/locks.py).
    lock_tenant(tenant.pk)
    is_email = fields["channel"] == Activity.Channel.EMAIL
    if is_email:
        existing = _already_received(tenant, fields["message_id"])
        if existing is not None:
            return existing
    service = _find_service(tenant, service_ref, fields["recipients"])
    partition = None
    if service.client_partition_id:
        # Read under the lock: a client disabled a moment ago gets nothing more.
        locked = lock_client_partition(service.client_partition_id)
        if locked is not None and locked.enabled:
            partition = locked
    contact, created = contact_for_sender(
        tenant,
        partition,
        email=fields["email"],
        phone=fields["phone"],
        display_name=fields["sender_name"],
        actor=actor,
    )
    email = None
    if is_email:
        email = Email(
            tenant=tenant,
            partition=partition,
            direction=Direction.INBOUND,
            sender=_formatted_sender(fields),
            recipients=", ".join(fields["recipients"]),
            subject=fields["subject"],
            body=fields["body"],
            message_id=fields["message_id"],
            service=service,
            contact=contact,
            sent_at=fields["occurred_at"],
        )
    activity = Activity(
        tenant=tenant,
        partition=partition,
        channel=fields["channel"],
        direction=Direction.INBOUND,
        service=service,
        contact=contact,
        email=email,
        occurred_at=fields["occurred_at"],
        summary=_summary(fields, service),
    )
    record_interaction(email, activity)
    return RoutedInteraction(
        activity_id=activity.pk,
        email_id=email.pk if email else None,
        contact_id=contact.pk,
        service=service,
        partition=partition,
        contact_created=created,
    )


def _formatted_sender(fields: dict) -> str:
    address = fields["email"] or fields["phone"]
    name = fields["sender_name"]
    return f"{name} <{address}>"[:320] if name else address


def _summary(fields: dict, service: Service) -> str:
    text = fields["subject"] or " ".join(fields["body"].split())
    if not text:
        text = _("Incoming %(channel)s through %(service)s") % {
            "channel": Activity.Channel(fields["channel"]).label.lower(),
            "service": service.name,
        }
    return Truncator(text).chars(500)
