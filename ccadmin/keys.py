"""Secret keys given to machines: the gateways' (services.GatewayToken) and people's
personal API keys (ccadmin.ApiToken). One rule for how a key is made and stored."""

import hashlib
import secrets

# Random bytes in a key: 256 bits, nothing to guess.
KEY_BYTES = 32


def new_key(prefix: str = "") -> str:
    """A fresh random key (URL-safe base64 of KEY_BYTES random bytes), after `prefix`
    ("cca_" for personal API keys, so secret scanners recognise a leaked one)."""
    return prefix + secrets.token_urlsafe(KEY_BYTES)


def hash_key(key: str) -> str:
    """The stored form of a key: its SHA-256 hex digest.

    A fast hash is enough here (unlike for passwords): keys are 256 random bits, so
    there is nothing to guess, and a database leak does not reveal usable keys.
    """
    return hashlib.sha256(key.encode()).hexdigest()
