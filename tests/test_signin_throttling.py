"""Sign-in throttling (issue 11, item 1): repeated failed sign-ins, on the agent login
and the admin's, lock that username out from that address for a while (django-axes),
with a message that does not say whether the username exists. An administrator
unlocks someone with a command or in the admin (superusers only)."""

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.db.models import F
from django.test import Client
from django.urls import reverse

from tests import factories

AGENT_LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
LOCKED = "Too many failed sign-ins. Try again in 15 minutes, or ask an administrator"
# (login URL, the page only a signed-in user of that login reaches)
LOGINS = {"agent": (AGENT_LOGIN, "/agent/"), "admin": (ADMIN_LOGIN, "/admin/")}


@pytest.fixture
def person(tenant, request):
    """An agent for the agent login, a tenant administrator (staff) for the admin's."""
    if getattr(request, "param", "agent") == "admin":
        return factories.administrator(tenant, username="hana")
    return factories.agent(tenant, username="hana")


def sign_in(client: Client, login: str, username: str, password: str):
    return client.post(login, {"username": username, "password": password})


def fail(client: Client, login: str, username: str, times: int) -> None:
    for _ in range(times):
        sign_in(client, login, username, "wrong password")


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def without_tokens(text: str) -> str:
    """The page less what differs on every response: CSRF tokens and CSP nonces."""
    text = re.sub(r'value="[A-Za-z0-9]{64}"', 'value=""', text)
    return re.sub(r'nonce="[^"]+"', 'nonce=""', text)


@pytest.mark.parametrize(
    ("which", "person"), [("agent", "agent"), ("admin", "admin")], indirect=["person"]
)
def test_thirty_wrong_passwords_then_the_right_one_does_not_sign_in(which, person):
    # given
    login, protected = LOGINS[which]
    client = Client()
    # when
    fail(client, login, "hana", 30)
    response = sign_in(client, login, "hana", "pw")
    # then
    assert response.status_code == 429
    assert LOCKED in response.text
    assert not signed_in(client)
    assert client.get(protected).status_code == 302  # sent to a login page


@pytest.mark.parametrize("which", ["agent", "admin"])
def test_the_right_password_before_the_limit_signs_in(which, tenant):
    factories.administrator(tenant, username="hana")
    login, _protected = LOGINS[which]
    client = Client()
    fail(client, login, "hana", settings.AXES_FAILURE_LIMIT - 1)
    response = sign_in(client, login, "hana", "pw")
    assert response.status_code == 302
    assert signed_in(client)


def test_the_lockout_ends_after_the_lockout_time(person):
    # given: locked out
    client = Client()
    fail(client, AGENT_LOGIN, "hana", 30)
    assert sign_in(client, AGENT_LOGIN, "hana", "pw").status_code == 429
    lockout = timedelta(minutes=settings.SIGNIN_LOCKOUT_MINUTES)
    # when: a minute short of the lockout time has passed, it still holds
    almost = lockout - timedelta(minutes=1)
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - almost)
    assert sign_in(client, AGENT_LOGIN, "hana", "pw").status_code == 429
    # when: the lockout time has passed since the last try (each try during the
    # lockout, the right password included, starts the wait again)
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - lockout)
    response = sign_in(client, AGENT_LOGIN, "hana", "pw")
    # then
    assert response.status_code == 302
    assert signed_in(client)


@pytest.mark.parametrize("login", [AGENT_LOGIN, ADMIN_LOGIN])
def test_the_message_is_the_same_for_an_existing_and_an_unknown_username(login, person):
    answers = {}
    for username in ("hana", "nobody-by-this-name"):
        client = Client()
        fail(client, login, username, settings.AXES_FAILURE_LIMIT)
        response = sign_in(client, login, username, "pw")
        answers[username] = (response.status_code, without_tokens(response.text))
    assert answers["hana"] == answers["nobody-by-this-name"]
    assert answers["hana"][0] == 429
    assert LOCKED in answers["hana"][1]
    assert "hana" not in answers["hana"][1]


def test_the_lockout_holds_the_username_at_that_address_only(person, tenant):
    """The pair is locked: the same agent signs in from the contact center's address
    while an outsider guessing at their name is locked out, and the outsider's
    address may still be used for another account."""
    factories.agent(tenant, username="kenji")
    outsider = Client(REMOTE_ADDR="203.0.113.9")
    fail(outsider, AGENT_LOGIN, "hana", 30)
    assert sign_in(outsider, AGENT_LOGIN, "hana", "pw").status_code == 429

    floor = Client(REMOTE_ADDR="198.51.100.20")
    assert sign_in(floor, AGENT_LOGIN, "hana", "pw").status_code == 302
    other = Client(REMOTE_ADDR="203.0.113.9")
    assert sign_in(other, AGENT_LOGIN, "kenji", "pw").status_code == 302


def test_the_lockout_is_shown_with_the_admins_look_on_the_admin_login(person):
    client = Client()
    fail(client, ADMIN_LOGIN, "hana", settings.AXES_FAILURE_LIMIT)
    response = sign_in(client, ADMIN_LOGIN, "hana", "pw")
    assert response.status_code == 429
    assert "Contact Center Administrator" in response.text
    assert '<p class="errornote signin-locked-out" role="alert">' in response.text


def test_the_lockout_message_is_translated(person):
    client = Client(headers={"accept-language": "ja"})
    fail(client, AGENT_LOGIN, "hana", settings.AXES_FAILURE_LIMIT)
    response = sign_in(client, AGENT_LOGIN, "hana", "pw")
    assert response.status_code == 429
    assert "サインイン" in response.text
    assert "Too many failed sign-ins" not in response.text


@pytest.mark.parametrize(
    ("command", "args"),
    [
        ("axes_reset_username", ["hana"]),
        ("axes_reset_ip", ["127.0.0.1"]),
        ("axes_reset_ip_username", ["127.0.0.1", "hana"]),
    ],
)
def test_an_administrator_unlocks_someone_with_a_command(person, command, args):
    client = Client()
    fail(client, AGENT_LOGIN, "hana", 30)
    assert sign_in(client, AGENT_LOGIN, "hana", "pw").status_code == 429
    call_command(command, *args, verbosity=0)
    assert sign_in(client, AGENT_LOGIN, "hana", "pw").status_code == 302


def test_a_superuser_unlocks_someone_in_the_admin(person, provider_client):
    client = Client()
    fail(client, AGENT_LOGIN, "hana", 30)
    attempt = AccessAttempt.objects.get(username="hana")
    listing = provider_client.get(reverse("admin:axes_accessattempt_changelist"))
    assert listing.status_code == 200
    assert "hana" in listing.text
    delete = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
    assert provider_client.post(delete, {"post": "yes"}).status_code == 302
    assert sign_in(client, AGENT_LOGIN, "hana", "pw").status_code == 302


@pytest.mark.parametrize(
    "name", ["axes_accessattempt", "axes_accesslog", "axes_accessfailurelog"]
)
def test_tenant_administrators_never_see_sign_in_records(admin_client, person, name):
    """The records name usernames and addresses of every tenant: superusers only,
    even for an administrator given the model's permissions."""
    from django.contrib.auth.models import Permission

    fail(Client(), AGENT_LOGIN, "hana", 3)
    administrator = admin_client.session["_auth_user_id"]
    user = type(person).objects.get(pk=administrator)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="axes")
    )
    attempt = AccessAttempt.objects.get()
    assert admin_client.get(reverse(f"admin:{name}_changelist")).status_code == 403
    if name == "axes_accessattempt":
        delete = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
        assert admin_client.post(delete, {"post": "yes"}).status_code == 403
        assert AccessAttempt.objects.filter(pk=attempt.pk).exists()
    assert "axes" not in admin_client.get(reverse("admin:index")).text.lower()


# ----- which address: the client's, behind the load balancer too --------------------

FLOOR = "198.51.100.20"  # the contact center's address
OUTSIDER = "203.0.113.9"
BALANCER = "10.0.0.2"
BEHIND_PROXY = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")


def from_address(remote_addr: str, forwarded_for: str | None = None) -> Client:
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return Client(**extra)


def test_without_a_proxy_a_forged_forwarded_for_does_not_dodge_the_lockout(person):
    for n in range(settings.AXES_FAILURE_LIMIT):
        fail(from_address(OUTSIDER, f"192.0.2.{n}"), AGENT_LOGIN, "hana", 1)
    locked = sign_in(from_address(OUTSIDER, "192.0.2.99"), AGENT_LOGIN, "hana", "pw")
    assert locked.status_code == 429


def test_behind_the_load_balancer_the_lockout_holds_the_clients_address(
    person, settings
):
    """Every request comes from the balancer; it appends the client's address to
    X-Forwarded-For. The outsider is locked out whatever they put in front of it,
    and the agent on the floor, behind the same balancer, is not."""
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = BEHIND_PROXY
    for n in range(settings.AXES_FAILURE_LIMIT):
        forged = f"192.0.2.{n}, {OUTSIDER}"
        fail(from_address(BALANCER, forged), AGENT_LOGIN, "hana", 1)
    outsider = from_address(BALANCER, f"192.0.2.99, {OUTSIDER}")
    assert sign_in(outsider, AGENT_LOGIN, "hana", "pw").status_code == 429
    floor = from_address(BALANCER, FLOOR)
    assert sign_in(floor, AGENT_LOGIN, "hana", "pw").status_code == 302
    assert AccessAttempt.objects.get().ip_address == OUTSIDER


def test_the_forwarded_for_header_is_read_only_behind_a_tls_proxy():
    from tests.test_security_headers import settings_in_a_fresh_process

    expression = "s.AXES_IPWARE_META_PRECEDENCE_ORDER"
    assert settings_in_a_fresh_process({}, expression) == "('REMOTE_ADDR',)"
    behind = settings_in_a_fresh_process({"BEHIND_TLS_PROXY": "true"}, expression)
    assert behind == str(BEHIND_PROXY)


@pytest.mark.parametrize("login", [AGENT_LOGIN, ADMIN_LOGIN])
@pytest.mark.parametrize(
    "username", ["ha\x00na", "h" * 300, "hana\u202e"], ids=["nul", "long", "bidi"]
)
def test_hostile_usernames_get_the_form_error_never_a_500(login, person, username):
    """NUL, over-long (PostgreSQL refused the 300 characters before
    AXES_USERNAME_CALLABLE) or bidi-laden usernames, with an over-long browser name
    and Accept header: the form's error, then the lockout like any other name."""
    client = Client(
        HTTP_USER_AGENT="Mozilla/5.0 " + "x" * 2000, HTTP_ACCEPT="text/html," * 500
    )
    answers = [
        sign_in(client, login, username, "pw").status_code
        for _ in range(settings.AXES_FAILURE_LIMIT + 1)
    ]
    assert set(answers) <= {200, 429}
    assert not signed_in(client)


def test_an_over_long_username_is_locked_out_like_any_other(db):
    client = Client()
    fail(client, AGENT_LOGIN, "h" * 300, settings.AXES_FAILURE_LIMIT)
    assert sign_in(client, AGENT_LOGIN, "h" * 300, "pw").status_code == 429
