"""Headers and sessions (issue 11, item 5): a Content-Security-Policy strict enough to
matter on every page, with no inline script, handler or style attribute for it to
refuse; sessions that last a shift and end with the browser; X-Forwarded-Proto
believed only when BEHIND_TLS_PROXY says a proxy sets it."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tests.processes import run_manage

ROOT = Path(__file__).resolve().parent.parent


def policy_of(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        directive.split()[0]: directive.split()[1:]
        for directive in header.split(";")
        if directive.strip()
    }


@pytest.fixture
def pages(tenant, admin_user):
    """Every kind of screen: (client, URL) by name."""
    acme = factories.client_with_data(tenant, "Acme", contacts=2)
    factories.ServiceFactory(tenant=tenant, name="Acme Line", client_partition=acme)
    contact = acme.contacts.first()
    email = acme.emails.first()
    administrator = Client()
    administrator.force_login(admin_user)
    agent = Client()
    agent.force_login(factories.agent(tenant))
    provider = Client()
    provider.force_login(factories.superuser())
    anonymous = Client()
    partition = f"/admin/partitions/clientpartition/{acme.pk}"
    return {
        "admin-index": (administrator, "/admin/"),
        "partition-list": (administrator, "/admin/partitions/clientpartition/"),
        "partition-add": (administrator, "/admin/partitions/clientpartition/add/"),
        "partition-change": (administrator, f"{partition}/change/"),
        "partition-delete": (administrator, f"{partition}/delete/"),
        "partition-export": (administrator, f"{partition}/export/"),
        "contact-list": (administrator, "/admin/contacts/contact/"),
        "contact-import": (administrator, reverse("admin:contacts_contact_import")),
        "email-change": (administrator, f"/admin/contacts/email/{email.pk}/change/"),
        "token-add": (administrator, "/admin/services/gatewaytoken/add/"),
        "audit-trail": (administrator, "/admin/ccadmin/auditentry/"),
        "tenant-change": (provider, f"/admin/ccadmin/tenant/{tenant.pk}/change/"),
        "signin-lockouts": (provider, "/admin/axes/accessattempt/"),
        "admin-login": (anonymous, "/admin/login/"),
        "agent-login": (anonymous, "/accounts/login/"),
        "agent-desktop": (agent, f"/agent/?client_partition={acme.pk}"),
        "agent-contact": (agent, f"/agent/contacts/{contact.pk}/"),
        "agent-new-contact": (agent, "/agent/contacts/new/"),
    }


PAGES = [
    "admin-index", "partition-list", "partition-add", "partition-change",
    "partition-delete", "partition-export", "contact-list", "contact-import",
    "email-change", "token-add", "audit-trail", "tenant-change", "signin-lockouts",
    "admin-login", "agent-login", "agent-desktop", "agent-contact",
    "agent-new-contact",
]  # fmt: skip


@pytest.mark.parametrize("name", PAGES)
def test_every_page_has_a_strict_policy_and_nothing_inline_for_it_to_refuse(
    pages, name
):
    client, url = pages[name]
    response = client.get(url)
    assert response.status_code == 200, url
    policy = policy_of(response)
    # the policy
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["style-src"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    # the page: scripts only from files, no event handler or style attributes, and
    # an inline style element only with this response's nonce
    html = response.text
    inline_scripts = [
        tag for tag in re.findall(r"<script\b[^>]*>", html) if " src=" not in tag
    ]
    assert not inline_scripts
    assert not re.findall(r"<[^>]+\son[a-z]+\s*=", html)
    assert not re.findall(r"<[^>]+\sstyle\s*=", html)
    nonces = {f"'nonce-{n}'" for n in re.findall(r'<style nonce="([^"]+)"', html)}
    assert html.count("<style") == len(re.findall(r"<style nonce=", html))
    assert nonces <= set(policy["style-src"])


def test_the_api_answers_with_the_policy_too(client, db):
    response = client.post("/api/interactions/", "{}", content_type="application/json")
    assert response.status_code == 401
    assert policy_of(response)["default-src"] == ["'self'"]


# ----- sessions ---------------------------------------------------------------------


def test_a_sign_in_lasts_one_shift_and_ends_with_the_browser(tenant):
    factories.agent(tenant, username="hana")
    client = Client()
    response = client.post("/accounts/login/", {"username": "hana", "password": "pw"})
    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    # A browser-session cookie: no Expires, no Max-Age, so closing the browser ends it.
    assert not cookie["expires"]
    assert not cookie["max-age"]
    # And the server forgets it after 8 hours whatever the browser does.
    session = Session.objects.get(session_key=cookie.value)
    remaining = session.expire_date - timezone.now()
    assert timedelta(hours=7, minutes=59) < remaining <= timedelta(hours=8)


def settings_in_a_fresh_process(env_updates: dict[str, str], expression: str) -> str:
    """Evaluate `expression` on the settings of a new process with this environment."""
    result = run_manage(
        "shell",
        "--no-imports",
        "-c",
        f"from django.conf import settings as s; print({expression})",
        env={"DEBUG": "false", "SECRET_KEY": "x" * 50, **env_updates},
        without={"BEHIND_TLS_PROXY", "SESSION_COOKIE_AGE"} - set(env_updates),
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_session_lifetime_and_expiry_at_close_are_settable():
    assert (
        settings_in_a_fresh_process(
            {"SESSION_COOKIE_AGE": "3600", "SESSION_EXPIRE_AT_BROWSER_CLOSE": "false"},
            "s.SESSION_COOKIE_AGE, s.SESSION_EXPIRE_AT_BROWSER_CLOSE",
        )
        == "3600 False"
    )
    assert (
        settings_in_a_fresh_process(
            {}, "s.SESSION_COOKIE_AGE, s.SESSION_EXPIRE_AT_BROWSER_CLOSE"
        )
        == "28800 True"
    )


# ----- X-Forwarded-Proto -------------------------------------------------------------


@pytest.mark.parametrize(
    ("behind_proxy", "trusted"),
    [
        (None, "None"),
        ("false", "None"),
        ("true", "('HTTP_X_FORWARDED_PROTO', 'https')"),
    ],
)
def test_x_forwarded_proto_is_trusted_only_behind_a_tls_proxy(behind_proxy, trusted):
    env = {} if behind_proxy is None else {"BEHIND_TLS_PROXY": behind_proxy}
    assert settings_in_a_fresh_process(env, "s.SECURE_PROXY_SSL_HEADER") == trusted


@pytest.mark.parametrize(
    ("proxy_header", "redirected"),
    [(None, True), (("HTTP_X_FORWARDED_PROTO", "https"), False)],
    ids=["header-not-trusted", "behind-tls-proxy"],
)
def test_a_forged_https_header_does_not_pass_for_https(
    client, db, settings, proxy_header, redirected
):
    """With SECURE_SSL_REDIRECT on, a plain-HTTP request claiming HTTPS in
    X-Forwarded-Proto is still sent to HTTPS unless a proxy is said to set it."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = proxy_header
    response = client.get("/accounts/login/", headers={"x-forwarded-proto": "https"})
    if redirected:
        assert response.status_code == 301
        assert response["Location"].startswith("https://")
    else:
        assert response.status_code == 200
