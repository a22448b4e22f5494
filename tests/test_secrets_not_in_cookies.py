"""Secrets never travel in cookies (issue 11, item 7): a new gateway key is shown to
its administrator once, in a message, and messages are kept in the session
(MESSAGE_STORAGE), never in a cookie a browser or a proxy would keep or log."""

import base64
import re
import zlib
from urllib.parse import unquote

from django.conf import settings
from django.test import Client

from services.models import GatewayToken

ADD_TOKEN = "/admin/services/gatewaytoken/add/"
COOKIE_STORAGE = "django.contrib.messages.storage.fallback.FallbackStorage"


def readable_forms(value: str) -> set[str]:
    """Everything a cookie's value says to whoever holds it: the value as sent, URL
    decoded, and each part between Django's signing separators base64-decoded (and
    unzipped, where Django compressed it). Signed is not secret."""
    value = unquote(value)
    forms = {value}
    for part in re.split(r"[.:]", value):
        try:
            raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        except ValueError:
            continue
        forms.add(raw.decode("utf-8", "replace"))
        try:
            forms.add(zlib.decompress(raw).decode("utf-8", "replace"))
        except zlib.error:
            pass
    return forms


def add_token_and_read_cookies(client: Client) -> tuple[str, list[str], str]:
    """Add a gateway token through the admin and follow the redirect by hand, keeping
    every cookie each response sets; return (the key, the cookies decoded, the page
    that showed the key)."""
    added = client.post(ADD_TOKEN, {"name": "PBX Tokyo", "active": "on"})
    assert added.status_code == 302
    shown = client.get(added["Location"])
    key = next(
        str(m).rsplit(": ", 1)[1]
        for m in shown.context["messages"]
        if "Gateway token" in str(m)
    )
    decoded = [
        form
        for response in (added, shown)
        for morsel in response.cookies.values()
        for form in readable_forms(morsel.value)
    ]
    return key, decoded, shown.text


def test_a_new_gateway_key_is_in_no_cookie_and_is_shown_once(admin_client):
    # when
    key, cookies, page = add_token_and_read_cookies(admin_client)
    # then: shown to the administrator, once
    assert key in page
    token = GatewayToken.objects.get()
    assert key.startswith(token.key_prefix)
    again = admin_client.get("/admin/services/gatewaytoken/")
    assert key not in again.text
    # and in no cookie set along the way, however decoded
    assert cookies, "the responses set cookies (session, CSRF)"
    assert not [c for c in cookies if key in c]


def test_messages_are_kept_in_the_session():
    assert settings.MESSAGE_STORAGE == (
        "django.contrib.messages.storage.session.SessionStorage"
    )


def test_the_decoding_finds_a_key_that_django_s_default_storage_puts_in_a_cookie(
    admin_client, settings
):
    """The check above can fail: with Django's default message storage the same
    steps leave the key readable in the `messages` cookie."""
    settings.MESSAGE_STORAGE = COOKIE_STORAGE
    key, cookies, _page = add_token_and_read_cookies(admin_client)
    assert [c for c in cookies if key in c]


def test_a_new_personal_api_key_is_in_no_cookie_nor_the_session(admin_client):
    """A personal key is shown on the page answering the add form's POST: it is
    never kept for a next page, in a message, the session or a cookie."""
    added = admin_client.post("/admin/ccadmin/apitoken/add/", {"name": "CRM sync"})
    assert added.status_code == 200
    key = added.context["key"]
    assert key in added.text
    cookies = [
        form
        for morsel in added.cookies.values()
        for form in readable_forms(morsel.value)
    ]
    assert not [c for c in cookies if key in c]
    session = admin_client.session
    assert not [v for v in session.values() if key in str(v)]
    assert key not in admin_client.get("/admin/ccadmin/apitoken/").text
