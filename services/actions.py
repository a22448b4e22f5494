"""Operations on services' gateway tokens: the one path the admin uses."""

from django.db import transaction

from ccadmin import audit
from services.models import GatewayToken


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
