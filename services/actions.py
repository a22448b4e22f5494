"""Operations on services and gateway tokens: their one writer.

The admin and the commands save and delete services and tokens here, so each write is
checked by the model's rules (which normalise names and addresses) and audited once
(ccadmin.audit), with before and after values for a change. Each function runs in one
transaction.
"""

from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from ccadmin import audit, writes
from services.models import GatewayToken, Service

# How precisely a gateway token's "last used" time is kept (see
# note_gateway_token_use).
GATEWAY_TOKEN_USE_PRECISION = timedelta(minutes=1)


def add_service(service: Service, *, actor) -> Service:
    """Add a service (queue) to its tenant; audit it. Raises ValidationError, keyed
    by field (a duplicate name or email address, a partition of another tenant)."""
    return writes.add(service, actor=actor)


def change_service(service: Service, *, actor) -> Service:
    """Save a changed service (its client partition, say); audit the old and new
    values. Raises ValidationError, keyed by field."""
    return writes.change(service, actor=actor)


def delete_services(services: Iterable[Service], *, actor) -> int:
    """Delete services; their emails and activity history stay, with no service.
    Audits each; returns how many went."""
    return writes.delete(Service, services, actor=actor)


def issue_gateway_token(token: GatewayToken, *, actor) -> str:
    """Save a new gateway token with a fresh key and audit it; return the key.

    The key is returned once and never stored (only its hash is), so the caller must
    show it now.
    """
    with transaction.atomic():
        key = token.set_new_key()
        token.full_clean()
        token.save()
        audit.log_addition(actor, token)
    return key


def change_gateway_token(token: GatewayToken, *, actor) -> GatewayToken:
    """Save a token's new name or Active state (unticked: its key is refused at
    once); audit the old and new values. Raises ValidationError."""
    return writes.change(token, actor=actor)


def delete_gateway_tokens(tokens: Iterable[GatewayToken], *, actor) -> int:
    """Delete gateway tokens: their keys are refused from now on. Audits each;
    returns how many went."""
    return writes.delete(GatewayToken, tokens, actor=actor)


def note_gateway_token_use(token: GatewayToken) -> None:
    """Record when a token's key was last used (the admin's "last used" column), to
    the minute (GATEWAY_TOKEN_USE_PRECISION).

    Not audited: it is bookkeeping of the gateway's deliveries, not a change anyone
    made. One UPDATE, touching no other column, so it never undoes an administrator's
    concurrent change to the token (deactivating it, say); and at most one a minute:
    a busy PBX posts many times a second, and a write (with its commit) per request
    was a large share of an API call's cost (bench/RESULTS.md).
    """
    now = timezone.now()
    last = token.last_used_at
    if last is not None and now - last < GATEWAY_TOKEN_USE_PRECISION:
        return
    GatewayToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
