"""Routing of incoming interactions (calls, chats, emails) to BPO clients.

`route_interaction` is the one function every entry point calls: the
`receive_interactions` command and the HTTP API for gateways. An interaction arriving
through a service assigned to an enabled client partition is recorded in that
partition; otherwise it is recorded with no partition. Nothing valid is ever dropped,
a bad record is refused whole, and an email already received (same Message-ID, per
tenant) is reported as a duplicate instead of being recorded twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from email.utils import getaddresses, parseaddr

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DataError, IntegrityError, InternalError, transaction
from django.db.models import Min, Q
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from ccadmin.models import Tenant
from ccadmin.text import normalize_name
from contacts.actions import (
    Sender,
    contacts_for_senders,
    record_interactions,
    sender_of,
)
from contacts.models import Activity, Contact, Direction, Email, format_mailbox
from contacts.phones import normalize_phone
from partitions.locks import share_client_partitions
from partitions.models import ClientPartition
from services.models import Service

# The channels an interaction can arrive on (those of the activity history).
CHANNELS = [choice.value for choice in Activity.Channel]
_HEADER_MAX = 998  # RFC 5322's line limit: Email.subject and Email.message_id

# What networks, PBXs and SIP trunks present instead of the number of a caller who
# withheld it (RFC 3325's "anonymous@anonymous.invalid" included), and the Japanese
# carriers' caller-ID reasons (withheld, payphone, unavailable, out of area): each
# such call is recorded against the client's "Withheld number" contact.
WITHHELD_CALLER_IDS = frozenset(
    {
        "anonymous",
        "withheld",
        "private",
        "private number",
        "restricted",
        "unavailable",
        "unknown",
        "blocked",
        "no caller id",
        "非通知",
        "公衆電話",
        "通知不可能",
        "表示圏外",
    }
)


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
    # What was recorded as well as it could be (a date, a subject, a recipient).
    notes: tuple[str, ...] = ()

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
            "notes": list(self.notes),
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
    withheld: bool = False,
    body_html: str = "",
    attachments: Iterable[dict] = (),
    notes: Iterable[str] = (),
    raw_source: bytes | None = None,
    actor=None,
) -> RoutedInteraction:
    """Record one incoming call, chat or email of `tenant` in the right BPO client.

    `service` is a service's name or id; when empty, an email finds its service by
    the address it was sent to (Service.email_address). `sender` is a phone number or
    an email address (optionally "Name <address>"), a `tel:` URI, or a withheld
    caller ID ("anonymous", or `withheld`). The contact is found by address or phone
    inside the assigned partition, or created there; a withheld call goes to the
    client's "Withheld number" contact, and an interaction without a sender to its
    "Unknown sender". An Activity (and for email an Email, with its `body_html`,
    `attachments` list, intake `notes` and `raw_source` kept compressed) is recorded
    there. A header that does not decide routing never refuses the interaction: an
    invalid recipient is left out and a subject too long is cut, each with a note.
    The partition is the service's, only while it is enabled; otherwise none. A
    contact created for a new sender is audited as `actor` (None: the system account,
    as for the gateways' deliveries).

    Raises InteractionRejected with the errors per field; nothing is written then.
    One transaction, with the locks of ccadmin/locks.py and none on the tenant: other
    senders' interactions of the tenant proceed in parallel. The batch of one of
    route_interactions.
    """
    outcome = route_interactions(
        tenant,
        [
            {
                "service": service,
                "channel": channel,
                "sender": sender,
                "sender_name": sender_name,
                "recipients": recipients,
                "subject": subject,
                "body": body,
                "message_id": message_id,
                "occurred_at": occurred_at,
                "withheld": withheld,
                "body_html": body_html,
                "attachments": attachments,
                "notes": notes,
                "raw_source": raw_source,
            }
        ],
        actor=actor,
    )[0]
    if isinstance(outcome, InteractionRejected):
        raise outcome
    return outcome


# route_interaction's arguments an item of a batch may leave out.
_OPTIONAL_FIELDS = {
    "sender_name": "",
    "recipients": (),
    "subject": "",
    "body": "",
    "message_id": "",
    "occurred_at": None,
    "withheld": False,
    "body_html": "",
    "attachments": (),
    "notes": (),
    "raw_source": None,
}


@dataclass
class _Plan:
    """One valid interaction of a batch on its way to being recorded."""

    index: int
    fields: dict
    service: Service
    partition: ClientPartition | None = None
    sender: Sender | None = None


def route_interactions(
    tenant: Tenant, items: list[dict], *, actor=None
) -> list[RoutedInteraction | InteractionRejected]:
    """Record a batch of incoming interactions of `tenant`, each as route_interaction
    would; return one outcome per item, in order: what was recorded (or found
    already recorded), or the InteractionRejected naming its fields.

    `items` are route_interaction's keyword arguments (without `actor`). A bad item
    never affects the others. Set-based: the services, the duplicates, the clients
    and the existing contacts of the whole batch are each read in one query, and the
    new senders' contacts, emails and activity entries written in one INSERT each.
    If the batch's write fails on a value the database refuses, each item is
    written again on its own, in a savepoint, so only that item is refused.
    """
    outcomes: list[RoutedInteraction | InteractionRejected | None] = [None] * len(items)
    valid: dict[int, dict] = {}
    for index, item in enumerate(items):
        try:
            valid[index] = _validated(
                tenant.default_phone_region, **{**_OPTIONAL_FIELDS, **item}
            )
        except InteractionRejected as exc:
            outcomes[index] = exc
    if not valid:
        return outcomes
    with transaction.atomic():
        plans = []
        for index, found in _find_services(tenant, valid).items():
            if isinstance(found, InteractionRejected):
                if valid[index]["placeholder"] == Contact.Placeholder.UNKNOWN_SENDER:
                    # Nobody to attach it to, and no client to file it under.
                    found = InteractionRejected(
                        {**found.errors, "from": [_("The sender is missing.")]}
                    )
                outcomes[index] = found
            else:
                plans.append(_Plan(index, valid[index], found))
        # Share-locked: a client disabled or deleted meanwhile waits for this
        # transaction, or this one for it and then sees it disabled (or gone).
        clients = share_client_partitions(
            plan.service.client_partition_id
            for plan in plans
            if plan.service.client_partition_id
        )
        for plan in plans:
            client = clients.get(plan.service.client_partition_id)
            plan.partition = client if client is not None and client.enabled else None
            plan.sender = sender_of(
                tenant,
                plan.partition,
                email=plan.fields["email"],
                phone=plan.fields["phone"],
                placeholder=plan.fields["placeholder"],
            )
        plans, repeats = _without_duplicates(tenant, plans, outcomes)
        if len(plans) == 1:
            _write_alone(tenant, plans[0], outcomes, actor)
        elif plans:
            try:
                with transaction.atomic():
                    _write(tenant, plans, outcomes, actor)
            except (*RECORD_REFUSALS, ValidationError):
                # One item spoilt the batch's INSERTs (a value the database
                # refuses): write each on its own, so only that one is refused.
                for plan in plans:
                    _write_alone(tenant, plan, outcomes, actor)
        _answer_repeats(tenant, repeats, outcomes, actor)
    return outcomes


# What the database raises when it refuses one record: a value it cannot store
# (DataError; psycopg2 raises ValueError for a NUL), a constraint (IntegrityError), a
# trigger's or rule's refusal (InternalError: PostgreSQL's RAISE EXCEPTION). Not
# OperationalError: a lost connection or a lock timeout is no fault of the record,
# and must not be reported as one.
RECORD_REFUSALS = (DataError, IntegrityError, InternalError, ValueError)


def database_error_message(exc: Exception) -> str:
    """What the database said when it refused a record, in one line (the driver's
    first line says what was wrong; the rest is its context)."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return _("database error: %(error)s") % {"error": first}


def _write_alone(tenant: Tenant, plan: _Plan, outcomes: list, actor) -> None:
    try:
        with transaction.atomic():
            _write(tenant, [plan], outcomes, actor)
    except IntegrityError as exc:
        existing = _already_received(tenant, [plan.fields["message_id"]])
        outcomes[plan.index] = existing.get(plan.fields["message_id"]) or (
            InteractionRejected({"__all__": [database_error_message(exc)]})
        )
    except (DataError, InternalError, ValueError) as exc:
        outcomes[plan.index] = InteractionRejected(
            {"__all__": [database_error_message(exc)]}
        )


def _write(tenant: Tenant, plans: list[_Plan], outcomes: list, actor) -> None:
    """Find or create the plans' contacts, then record their emails and activity
    entries, set-based; fill in their outcomes."""
    senders = {
        plan.sender: (plan.partition, plan.fields["sender_name"]) for plan in plans
    }
    contacts = contacts_for_senders(tenant, senders, actor=actor)
    rows = []
    for plan in plans:
        found = contacts[plan.sender]
        if isinstance(found, ValidationError):
            outcomes[plan.index] = InteractionRejected(_field_errors(found))
            continue
        contact, created = found
        rows.append((plan, contact, created, *_rows(tenant, plan, contact)))
    # Emails inserted in Message-ID order: two batches sharing Message-IDs (a
    # gateway retrying) then wait for each other's unique keys in one order, never
    # in a cycle (a deadlock).
    rows.sort(key=lambda row: row[0].fields["message_id"])
    for attempt in range(3):
        pairs = [(row[3], row[4]) for row in rows]
        sources = {
            index: row[0].fields["raw_source"]
            for index, row in enumerate(rows)
            if row[3] is not None and row[0].fields["raw_source"]
        }
        if len(plans) == 1:
            # Alone (_write_alone): a conflict is this item's duplicate, answered
            # by the caller; no savepoint needed to retry the others.
            record_interactions(pairs, sources)
            break
        try:
            with transaction.atomic():
                record_interactions(pairs, sources)
            break
        except IntegrityError:
            # A Message-ID was recorded by another transaction meanwhile (the unique
            # constraint waited for it): answer those as duplicates, write the rest.
            if attempt == 2:
                raise
            received = _already_received(
                tenant, [plan.fields["message_id"] for plan, *_r in rows]
            )
            if not received:
                raise
            for plan, *_r in rows:
                if plan.fields["message_id"] in received:
                    outcomes[plan.index] = received[plan.fields["message_id"]]
            rows = [row for row in rows if row[0].fields["message_id"] not in received]
            for *_p, email, activity in rows:
                activity.pk = None
                if email is not None:
                    email.pk = None
    for plan, contact, created, email, activity in rows:
        outcomes[plan.index] = RoutedInteraction(
            activity_id=activity.pk,
            email_id=email.pk if email else None,
            contact_id=contact.pk,
            service=plan.service,
            partition=plan.partition,
            contact_created=created,
            notes=tuple(plan.fields["notes"]),
        )


def _rows(
    tenant: Tenant, plan: _Plan, contact: Contact
) -> tuple[Email | None, Activity]:
    fields, partition, service = plan.fields, plan.partition, plan.service
    email = None
    if fields["channel"] == Activity.Channel.EMAIL:
        email = Email(
            tenant=tenant,
            partition=partition,
            direction=Direction.INBOUND,
            sender=_formatted_sender(fields),
            recipients=", ".join(fields["recipients"]),
            subject=fields["subject"],
            body=fields["body"],
            body_html=fields["body_html"] or "",
            attachments=list(fields["attachments"]),
            notes="\n".join(fields["notes"]),
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
    return email, activity


def _field_errors(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            {"email": "from", "phone": "from"}.get(field, "__all__"): messages
            for field, messages in exc.message_dict.items()
        }
    return {"__all__": exc.messages}


def _validated(region: str, **raw) -> dict:
    """Check and normalise every field, collecting all errors before refusing.
    Phones are read in `region` (the tenant's default_phone_region)."""
    errors: dict[str, list[str]] = {}
    fields = dict(raw)
    channel = (raw["channel"] or "").strip().lower()
    if channel not in CHANNELS:
        errors["channel"] = [
            _("Unknown channel %(channel)r: use one of %(channels)s.")
            % {"channel": raw["channel"], "channels": ", ".join(CHANNELS)}
        ]
    fields["channel"] = channel

    notes = list(raw["notes"] or ())
    name, address = _split_sender(raw["sender"] or "")
    fields["sender_name"] = (raw["sender_name"] or name).strip()
    fields["email"] = fields["phone"] = fields["placeholder"] = ""
    if channel != Activity.Channel.EMAIL and (raw["withheld"] or _is_withheld(address)):
        # The caller chose not to show a number: none is kept, even if one came.
        fields["placeholder"] = Contact.Placeholder.WITHHELD
        fields["sender_name"] = ""
    elif not address:
        # Recorded against the service's client's "Unknown sender"; refused only
        # if the service is not found either (route_interactions).
        fields["placeholder"] = Contact.Placeholder.UNKNOWN_SENDER
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
            fields["phone"] = normalize_phone(address, region)
        except ValidationError:
            errors["from"] = [
                _("%(value)r is not a valid phone number or email address.")
                % {"value": address}
            ]

    recipients = raw["recipients"]
    if isinstance(recipients, str):
        recipients = [recipients]
    addresses, bad = [], []
    for recipient in recipients:
        # One by one: a malformed one ("sales@") parses to nothing, and must be
        # named in the note rather than vanish.
        found = [addr for _n, addr in getaddresses([recipient]) if addr]
        if not found and recipient.strip():
            bad.append(recipient.strip())
        for addr in found:
            (addresses if _is_email(addr) else bad).append(addr)
    if bad:
        # A recipient decides nothing once the service is known (and an email
        # whose service cannot be found by them is refused for that).
        notes.append(
            _("Not an email address, left out of the recipients: %(values)s.")
            % {"values": ", ".join(bad)}
        )
    # Each once (Delivered-To usually repeats To), in the order received.
    fields["recipients"] = list(dict.fromkeys(addr.lower() for addr in addresses))

    fields["subject"] = " ".join((raw["subject"] or "").split())
    if len(fields["subject"]) > _HEADER_MAX:
        notes.append(
            _("The subject had %(length)s characters: the first %(max)s are recorded.")
            % {"length": f"{len(fields['subject']):,}", "max": _HEADER_MAX}
        )
        fields["subject"] = fields["subject"][:_HEADER_MAX]
    fields["message_id"] = (raw["message_id"] or "").strip()
    if len(fields["message_id"]) > _HEADER_MAX:
        notes.append(
            _(
                "The message ID had %(length)s characters: the first %(max)s are "
                "recorded (and used to recognise the email delivered again)."
            )
            % {"length": f"{len(fields['message_id']):,}", "max": _HEADER_MAX}
        )
        fields["message_id"] = fields["message_id"][:_HEADER_MAX]
    occurred = raw["occurred_at"] or timezone.now()
    if timezone.is_naive(occurred):
        occurred = timezone.make_aware(occurred)
    fields["occurred_at"] = occurred
    fields["body"] = raw["body"] or ""
    fields["notes"] = notes
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


def _is_withheld(address: str) -> bool:
    """Whether a caller ID is one of WITHHELD_CALLER_IDS, bare or as a SIP URI
    ("sip:anonymous@anonymous.invalid")."""
    text = address.strip().strip('"').casefold()
    if re.match(r"sips?:", text):
        text = text.split(":", 1)[1]
    elif "@" in text:
        # An address (a chat from private@customer.example) is someone; only
        # RFC 3325's anonymous identity stands for a withheld caller.
        return text == "anonymous@anonymous.invalid"
    return text.split("@")[0].strip() in WITHHELD_CALLER_IDS


def _is_email(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def _find_services(
    tenant: Tenant, valid: dict[int, dict]
) -> dict[int, Service | InteractionRejected]:
    """The service of each item, by name, id or (for an email naming none) the
    address it was sent to: the whole batch's services in one query."""
    names, ids, addresses = set(), set(), set()
    for fields in valid.values():
        ref = fields["service"]
        if isinstance(ref, int):
            ids.add(ref)
        elif ref and str(ref).strip():
            names.add(normalize_name(str(ref)))
        else:
            addresses.update(fields["recipients"])
    services = list(
        Service.objects.filter(tenant=tenant)
        .filter(Q(pk__in=ids) | Q(name__in=names) | Q(email_address__in=addresses))
        .order_by("pk")
    )
    by_id = {service.pk: service for service in services}
    by_name = {service.name: service for service in services}
    by_address: dict[str, Service] = {}
    for service in services:  # in id order: the first service of an address wins
        if service.email_address:
            by_address.setdefault(service.email_address, service)
    found: dict[int, Service | InteractionRejected] = {}
    for index, fields in valid.items():
        ref, recipients = fields["service"], fields["recipients"]
        if isinstance(ref, int):
            service = by_id.get(ref)
        elif ref and str(ref).strip():
            service = by_name.get(normalize_name(str(ref)))
        elif recipients:
            matches = [by_address[a] for a in recipients if a in by_address]
            service = min(matches, key=lambda s: s.pk) if matches else None
            if service is None:
                found[index] = InteractionRejected(
                    {
                        "service": [
                            _(
                                "No service receives email at %(addresses)s: name "
                                "the service."
                            )
                            % {"addresses": ", ".join(recipients)}
                        ]
                    }
                )
                continue
        else:
            found[index] = InteractionRejected(
                {"service": [_("The service is missing.")]}
            )
            continue
        found[index] = (
            service
            if service is not None
            else InteractionRejected(
                {"service": [_("Unknown service %(service)r.") % {"service": ref}]}
            )
        )
    return found


def _already_received(
    tenant: Tenant, message_ids: list[str]
) -> dict[str, RoutedInteraction]:
    """The emails among `message_ids` the tenant has already recorded, as the
    duplicates they are: two queries whatever their number."""
    wanted = {message_id for message_id in message_ids if message_id}
    if not wanted:
        return {}
    emails = list(
        Email.objects.filter(tenant=tenant, message_id__in=wanted)
        .select_related("service", "partition")
        .order_by()
    )
    if not emails:
        return {}
    first_activity = dict(
        Activity.objects.filter(email__in=emails)
        .values("email_id")
        .annotate(first=Min("pk"))
        .values_list("email_id", "first")
    )
    return {
        email.message_id: RoutedInteraction(
            activity_id=first_activity.get(email.pk),
            email_id=email.pk,
            contact_id=email.contact_id,
            service=email.service,
            partition=email.partition,
            duplicate=True,
        )
        for email in emails
    }


def _without_duplicates(
    tenant: Tenant, plans: list[_Plan], outcomes: list
) -> tuple[list[_Plan], list[tuple[_Plan, int]]]:
    """The plans left to record now, and the repeats: an email whose Message-ID the
    tenant already has is answered as a duplicate; a Message-ID twice in the batch
    is recorded once, the later items (repeats, with the index of the first) are
    answered after it by _answer_repeats."""
    received = _already_received(
        tenant,
        [
            plan.fields["message_id"]
            for plan in plans
            if plan.fields["channel"] == Activity.Channel.EMAIL
        ],
    )
    left, repeats, first_of = [], [], {}
    for plan in plans:
        message_id = plan.fields["message_id"]
        if plan.fields["channel"] != Activity.Channel.EMAIL or not message_id:
            left.append(plan)
        elif message_id in received:
            outcomes[plan.index] = received[message_id]
        elif message_id in first_of:
            repeats.append((plan, first_of[message_id]))
        else:
            first_of[message_id] = plan.index
            left.append(plan)
    return left, repeats


def _answer_repeats(
    tenant: Tenant, repeats: list[tuple[_Plan, int]], outcomes: list, actor
) -> None:
    """Answer each repeat of a Message-ID with the item recorded under it, as a
    duplicate; if that item was refused, the first repeat is recorded in its place
    (its own sender and fields may be fine), and so on."""
    while repeats:
        waiting: list[tuple[_Plan, int]] = []
        recorded_now: dict[str, int] = {}
        for plan, first in repeats:
            earlier = outcomes[first]
            message_id = plan.fields["message_id"]
            if isinstance(earlier, RoutedInteraction):
                outcomes[plan.index] = replace(
                    earlier, duplicate=True, contact_created=False
                )
            elif message_id in recorded_now:
                waiting.append((plan, recorded_now[message_id]))
            else:
                recorded_now[message_id] = plan.index
                _write_alone(tenant, plan, outcomes, actor)
        repeats = waiting


def _formatted_sender(fields: dict) -> str:
    address = fields["email"] or fields["phone"]
    name = fields["sender_name"]
    if not (name and address):
        return (name or address)[:320]  # an unknown sender keeps the name it gave
    return format_mailbox(name, address)[:320]


def _summary(fields: dict, service: Service) -> str:
    text = fields["subject"] or " ".join(fields["body"].split())
    if not text and fields["attachments"]:
        text = _("Attachments: %(names)s") % {
            "names": ", ".join(a.get("name", "") for a in fields["attachments"])
        }
    if not text:
        text = _("Incoming %(channel)s through %(service)s") % {
            "channel": Activity.Channel(fields["channel"]).label.lower(),
            "service": service.name,
        }
    return Truncator(text).chars(500)
