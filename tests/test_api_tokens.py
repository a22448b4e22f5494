"""Personal API tokens (issue 15, Authentication): only a hash is stored, the key is
shown once, a token expires and can be revoked, and a key works only for an active
person still standing where they stood; personal and gateway keys never cross."""

import hashlib
import io
import json
from datetime import timedelta

import pytest
from django.contrib.admin.models import ADDITION, CHANGE
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ccadmin import actions, audit
from ccadmin.api_tokens import AUTH_SCHEME, authenticate_bearer
from ccadmin.cli import SYSTEM_USERNAME
from ccadmin.keys import hash_key
from ccadmin.models import ApiToken, AuditEntry, Membership
from ccadmin.tenancy import client_scope, tenant_of
from contacts.models import Activity
from services.models import hash_gateway_key
from tests import factories


def bearer(key: str) -> str:
    return f"{AUTH_SCHEME} {key}"


# ----- keys: made, stored, recognised -----------------------------------------------


def test_only_the_hash_is_stored_and_the_key_is_recognisable(admin_user):
    # when
    token, key = actions.create_api_token(
        user=admin_user, name=" CRM sync ", expires_days=None, actor=admin_user
    )
    # then: a recognisable key, of which only the hash and first 8 characters stay
    assert key.startswith("cca_") and len(key) == 47
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert stored["key_hash"] == hash_key(key)
    assert stored["key_prefix"] == key[:8]
    assert not [value for value in stored.values() if value == key]
    assert stored["name"] == "CRM sync"
    assert stored["tenant_id"] == admin_user.membership.tenant_id
    assert stored["expires_at"] is None and stored["revoked_at"] is None


def test_one_hash_rule_for_gateway_and_personal_keys():
    assert hash_gateway_key is hash_key
    assert hash_key("cca_x") == hashlib.sha256(b"cca_x").hexdigest()


def test_each_key_is_new(admin_user):
    keys = {factories.api_token(admin_user)[1] for _ in range(5)}
    assert len(keys) == 5


def test_creation_is_audited_in_the_tenants_trail_without_the_key(admin_user):
    token, key = actions.create_api_token(
        user=admin_user, name="CRM sync", expires_days=30, actor=admin_user
    )
    entry = AuditEntry.objects.get(object_id=str(token.pk), action_flag=ADDITION)
    assert entry.user == admin_user
    assert entry.audit_scope.tenant_id == admin_user.membership.tenant_id
    assert key not in entry.change_message and key not in entry.object_repr
    assert token.expires_at - timezone.now() > timedelta(days=29, hours=23)


def test_superusers_token_belongs_to_no_tenant(provider):
    token, _key = factories.api_token(provider)
    assert token.tenant_id is None


# ----- refusals ----------------------------------------------------------------------


@pytest.mark.parametrize("days", [0, -1, 3651, 10**9, True, 1.5, "7"])
def test_a_lifetime_out_of_range_is_refused(admin_user, days):
    with pytest.raises(ValidationError) as refused:
        actions.create_api_token(
            user=admin_user, name="CRM", expires_days=days, actor=admin_user
        )
    assert "expires_days" in refused.value.message_dict
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("days", [1, 3650])
def test_lifetimes_at_the_bounds_are_allowed(admin_user, days):
    token, _key = factories.api_token(admin_user, expires_days=days)
    assert timedelta(days=days - 1) < token.expires_at - timezone.now()


def test_an_inactive_person_gets_no_token(tenant):
    user = factories.administrator(tenant, is_active=False)
    with pytest.raises(ValidationError, match="inactive"):
        actions.create_api_token(user=user, name="CRM", expires_days=None, actor=None)
    assert not ApiToken.objects.exists()


def test_someone_of_no_contact_center_gets_no_token(db):
    user = factories.unplaced_administrator()
    with pytest.raises(ValidationError, match="works for no contact center"):
        actions.create_api_token(user=user, name="CRM", expires_days=None, actor=None)


def test_someone_without_admin_access_gets_no_token(tenant, capsys):
    """An agent (not staff) has no admin, so no key to the API either: refused by
    the action, hence by the command (one line) and the admin alike."""
    agent = factories.agent(tenant, username="aiko")
    with pytest.raises(ValidationError, match="no access to the administration"):
        actions.create_api_token(user=agent, name="CRM", expires_days=None, actor=None)
    with pytest.raises(CommandError, match="only its users"):
        call_command("api_token", "create", "--user", "aiko")
    assert capsys.readouterr().out == ""
    # nor a superuser the admin would not let in (not staff)
    odd = factories.UserFactory(is_superuser=True)
    with pytest.raises(ValidationError, match="no access to the administration"):
        actions.create_api_token(user=odd, name="CRM", expires_days=None, actor=None)
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("name", ["", "   ", "CRM\x00sync", "x" * 81])
def test_a_bad_name_is_refused(admin_user, name):
    with pytest.raises(ValidationError) as refused:
        actions.create_api_token(
            user=admin_user, name=name, expires_days=None, actor=admin_user
        )
    assert "name" in refused.value.message_dict


def test_people_make_tokens_for_themselves_only(tenant, admin_user, provider):
    colleague = factories.client_supervisor(tenant)
    with pytest.raises(PermissionDenied):
        actions.create_api_token(
            user=colleague, name="CRM", expires_days=None, actor=admin_user
        )
    assert not ApiToken.objects.exists()
    # the service provider and the operator's commands may
    actions.create_api_token(
        user=colleague, name="A", expires_days=None, actor=provider
    )
    actions.create_api_token(user=colleague, name="B", expires_days=None, actor=None)
    assert ApiToken.objects.filter(user=colleague).count() == 2


# ----- authenticate_bearer: the contract of the API ---------------------------------


def test_a_valid_key_gives_its_token_with_user_membership_and_tenant(
    tenant, admin_user
):
    _token, key = factories.api_token(admin_user)
    with CaptureQueriesContext(connection) as queries:
        token = authenticate_bearer(bearer(key))
        user = token.user
        assert tenant_of(user) == tenant
        assert client_scope(user) is None
        assert user.membership.tenant.name == tenant.name
        assert token.tenant == tenant
    assert user == admin_user
    # one SELECT, and the first use noted (one UPDATE)
    assert len(queries) == 2, [q["sql"] for q in queries]


def test_a_superusers_key_gives_the_provider(provider):
    _token, key = factories.api_token(provider)
    token = authenticate_bearer(bearer(key))
    assert token.user == provider
    with CaptureQueriesContext(connection) as queries:
        assert tenant_of(token.user) is None
    assert len(queries) == 0


@pytest.mark.parametrize(
    "header",
    [
        "",
        None,
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwdw==",
        "Token {key}",
        "Bearer {key}x",
        "Bearer {key_upper}",
        "Bearer cca_",
        "Bearer cca_\x00",
        "Bearer " + "cca_" + "a" * 5000,
    ],
)
def test_anything_but_the_exact_key_is_refused(admin_user, header):
    _token, key = factories.api_token(admin_user)
    if header is not None:
        header = header.format(key=key, key_upper=key.upper())
    assert authenticate_bearer(header) is None


def test_the_scheme_is_case_insensitive_and_spaces_around_are_ignored(admin_user):
    _token, key = factories.api_token(admin_user)
    assert authenticate_bearer(f"  bearer   {key}  ") is not None


def test_an_expired_token_is_refused(admin_user):
    token, key = factories.api_token(admin_user, expires_days=1)
    assert authenticate_bearer(bearer(key)) is not None
    ApiToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert authenticate_bearer(bearer(key)) is None
    token.refresh_from_db()
    assert token.status() == ApiToken.Status.EXPIRED


def test_a_revoked_token_is_refused_and_the_revocation_audited(tenant, admin_user):
    token, key = factories.api_token(admin_user)
    _other, other_key = factories.api_token(admin_user, name="BI")
    # when
    assert actions.revoke_api_tokens([token], actor=admin_user) == 1
    # then
    assert authenticate_bearer(bearer(key)) is None
    assert authenticate_bearer(bearer(other_key)) is not None
    token.refresh_from_db()
    assert token.status() == ApiToken.Status.REVOKED
    entry = AuditEntry.objects.get(object_id=str(token.pk), action_flag=CHANGE)
    assert entry.user == admin_user
    assert entry.audit_scope.tenant_id == tenant.pk
    assert "Revoked" in audit.describe(entry)
    # revoking again changes and audits nothing
    assert actions.revoke_api_tokens([token], actor=admin_user) == 0
    assert AuditEntry.objects.filter(object_id=str(token.pk)).count() == 2


def test_revoking_someone_elses_token_is_refused_unless_their_administrator(
    tenant, other_tenant, admin_user
):
    supervisor = factories.client_supervisor(tenant)
    colleague = factories.client_supervisor(tenant)
    foreign_admin = factories.administrator(other_tenant)
    token, key = factories.api_token(supervisor)
    for actor in (colleague, foreign_admin):
        with pytest.raises(PermissionDenied):
            actions.revoke_api_tokens([token], actor=actor)
        assert authenticate_bearer(bearer(key)) is not None
    # the tenant's administrator may
    assert actions.revoke_api_tokens([token], actor=admin_user) == 1
    assert authenticate_bearer(bearer(key)) is None


def test_an_inactive_persons_key_is_refused(admin_user):
    _token, key = factories.api_token(admin_user)
    admin_user.is_active = False
    admin_user.save()
    assert authenticate_bearer(bearer(key)) is None
    admin_user.is_active = True
    admin_user.save()
    assert authenticate_bearer(bearer(key)) is not None


def test_a_key_of_someone_taken_out_of_their_tenant_is_refused(tenant, provider):
    supervisor = factories.client_supervisor(tenant)
    _token, key = factories.api_token(supervisor)
    actions.delete_memberships([supervisor.membership], actor=provider)
    assert authenticate_bearer(bearer(key)) is None


def test_a_key_does_not_follow_its_person_into_another_tenant(
    tenant, other_tenant, provider
):
    supervisor = factories.client_supervisor(tenant)
    _token, key = factories.api_token(supervisor)
    membership = Membership.objects.get(user=supervisor)
    membership.tenant = other_tenant
    actions.change_membership(membership, actor=provider)
    assert authenticate_bearer(bearer(key)) is None


def test_a_tenant_key_is_refused_once_its_person_is_made_superuser(admin_user):
    _token, key = factories.api_token(admin_user)
    admin_user.is_superuser = True
    admin_user.save()
    assert authenticate_bearer(bearer(key)) is None


def test_a_providers_key_is_refused_once_they_are_no_superuser(provider):
    _token, key = factories.api_token(provider)
    provider.is_superuser = False
    provider.save()
    assert authenticate_bearer(bearer(key)) is None


def test_last_use_is_written_at_most_once_a_minute(admin_user):
    token, key = factories.api_token(admin_user)
    assert token.last_used_at is None
    authenticate_bearer(bearer(key))
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    # when: used again within the minute
    with CaptureQueriesContext(connection) as queries:
        assert authenticate_bearer(bearer(key)) is not None
    # then: one SELECT, no write
    assert len(queries) == 1, [q["sql"] for q in queries]
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    # a minute later, it is written again
    ApiToken.objects.filter(pk=token.pk).update(
        last_used_at=first - timedelta(minutes=2)
    )
    authenticate_bearer(bearer(key))
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first


# ----- personal keys and gateway keys never cross ----------------------------------


def test_a_gateway_key_is_no_personal_key(tenant, admin_user):
    _gateway, gateway_key = factories.gateway_token(tenant)
    with CaptureQueriesContext(connection) as queries:
        assert authenticate_bearer(bearer(gateway_key)) is None
    assert len(queries) == 0  # refused by its form, before any lookup
    # even were a gateway key's hash stored as a personal token's
    token, _key = factories.api_token(admin_user)
    ApiToken.objects.filter(pk=token.pk).update(key_hash=hash_key(gateway_key))
    assert authenticate_bearer(bearer(gateway_key)) is None


def test_a_personal_key_is_no_gateway_key(client, tenant, admin_user):
    factories.client_with_lines(tenant)
    _token, key = factories.api_token(admin_user)
    response = client.post(
        reverse("api:interactions"),
        json.dumps({"service": "Acme Line", "channel": "voice", "from": "+8190"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=bearer(key),
    )
    assert response.status_code == 401
    assert not Activity.objects.exists()


# ----- who sees which token (ApiToken.objects.visible_to) ---------------------------


def test_people_see_their_own_tokens_administrators_their_tenants(
    tenant, other_tenant, admin_user, provider
):
    supervisor = factories.client_supervisor(tenant)
    limited_admin = factories.administrator(tenant)
    acme = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    actions.set_person_clients(limited_admin.membership, [acme], actor=None)
    mine, _k1 = factories.api_token(admin_user)
    theirs, _k2 = factories.api_token(supervisor)
    limited, _k3 = factories.api_token(limited_admin)
    foreign, _k4 = factories.api_token(factories.administrator(other_tenant))
    providers, _k5 = factories.api_token(provider)

    def seen(user):
        return set(ApiToken.objects.visible_to(user))

    assert seen(admin_user) == {mine, theirs, limited}
    assert seen(supervisor) == {theirs}
    # an administrator of chosen clients only sees their own
    assert seen(limited_admin) == {limited}
    assert seen(provider) == {mine, theirs, limited, foreign, providers}
    assert seen(factories.agent(tenant)) == set()


# ----- the admin: Tenancy > API tokens ----------------------------------------------

TOKENS = reverse("admin:ccadmin_apitoken_changelist")
ADD_TOKEN = reverse("admin:ccadmin_apitoken_add")


def token_url(token, view: str = "change") -> str:
    return reverse(f"admin:ccadmin_apitoken_{view}", args=[token.pk])


def listed(client) -> set:
    response = client.get(TOKENS)
    assert response.status_code == 200
    return set(response.context["cl"].result_list)


def test_the_menu_shows_api_tokens_under_tenancy(admin_client):
    response = admin_client.get(reverse("admin:index"))
    tenancy = next(
        app for app in response.context["app_list"] if app["app_label"] == "ccadmin"
    )
    assert str(tenancy["name"]) == "Tenancy"
    assert "API tokens" in [str(model["name"]) for model in tenancy["models"]]


def test_adding_shows_the_key_once_and_stores_only_its_hash(admin_client, admin_user):
    # when
    response = admin_client.post(ADD_TOKEN, {"name": "CRM sync", "expires_days": "90"})
    # then: the key on the page answering the POST, kept by no cache
    assert response.status_code == 200
    key = response.context["key"]
    assert key.startswith("cca_") and key in response.text
    assert f"Authorization: Bearer {key}" in response.text
    assert "Expires: " in response.text
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get()
    assert (token.user, token.name) == (admin_user, "CRM sync")
    assert token.key_hash == hash_key(key)
    assert timedelta(days=89) < token.expires_at - timezone.now() <= timedelta(days=90)
    # in no cookie, session or message, and never again on any page
    assert not [m for m in response.cookies.values() if key in m.value]
    assert key not in str(dict(admin_client.session))
    for page in (TOKENS, token_url(token), token_url(token, "history")):
        again = admin_client.get(page)
        assert again.status_code == 200
        assert key not in again.text
        assert token.key_prefix in again.text or page.endswith("history/")
    assert authenticate_bearer(bearer(key)).pk == token.pk


def test_adding_without_expiry_never_expires(admin_client):
    response = admin_client.post(ADD_TOKEN, {"name": "BI", "expires_days": ""})
    assert response.status_code == 200
    assert ApiToken.objects.get().expires_at is None
    assert "never expires" in response.text


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "expires_days": ""}, "name"),
        ({"name": "CRM", "expires_days": "0"}, "expires_days"),
        ({"name": "CRM", "expires_days": "3651"}, "expires_days"),
        ({"name": "CRM", "expires_days": "9" * 30}, "expires_days"),
        ({"name": "CRM", "expires_days": "ten"}, "expires_days"),
        ({"name": "CRM\x00", "expires_days": ""}, "name"),
    ],
)
def test_bad_input_is_a_form_error(admin_client, data, field):
    response = admin_client.post(ADD_TOKEN, data)
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not ApiToken.objects.exists()


def test_forged_user_or_tenant_in_the_add_form_is_ignored(
    admin_client, admin_user, tenant, other_tenant
):
    colleague = factories.administrator(tenant)
    admin_client.post(
        ADD_TOKEN,
        {"name": "CRM", "user": colleague.pk, "tenant": other_tenant.pk},
    )
    token = ApiToken.objects.get()
    assert (token.user, token.tenant) == (admin_user, tenant)


def test_who_sees_which_token_in_the_list(tenant, other_tenant, provider_client):
    administrator = factories.administrator(tenant)
    supervisor = factories.client_supervisor(tenant)
    mine, _k = factories.api_token(administrator)
    theirs, _k = factories.api_token(supervisor)
    foreign, _k = factories.api_token(factories.administrator(other_tenant))
    assert listed(factories.signed_in(administrator)) == {mine, theirs}
    assert listed(factories.signed_in(supervisor)) == {theirs}
    assert listed(provider_client) == {mine, theirs, foreign}
    # the columns
    page = factories.signed_in(administrator).get(TOKENS).text
    for text in ("Key starts with", "Expires", "Last used", "Status", "active"):
        assert text in page
    assert mine.key_prefix in page and supervisor.username in page


def test_status_column_and_filter(admin_client, admin_user):
    active, _k = factories.api_token(admin_user, name="Active one")
    expired, _k = factories.api_token(
        admin_user, name="Expired one", expires_at=timezone.now() - timedelta(days=1)
    )
    revoked, _k = factories.api_token(
        admin_user, name="Revoked one", revoked_at=timezone.now()
    )
    for status, token in [("active", active), ("expired", expired),
                          ("revoked", revoked)]:  # fmt: skip
        response = admin_client.get(TOKENS, {"status": status})
        assert list(response.context["cl"].result_list) == [token]


def test_a_supervisor_cannot_open_a_colleagues_token(tenant):
    supervisor = factories.client_supervisor(tenant)
    administrator = factories.administrator(tenant)
    token, key = factories.api_token(administrator)
    client = factories.signed_in(supervisor)
    response = client.get(token_url(token), follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:index")
    revoke = client.post(token_url(token, "revoke"), follow=True)
    assert revoke.redirect_chain[-1][0] == reverse("admin:index")
    assert authenticate_bearer(bearer(key)) is not None


def test_revoke_button_on_the_tokens_page(admin_client, admin_user):
    token, key = factories.api_token(admin_user)
    page = admin_client.get(token_url(token))
    assert token_url(token, "revoke") in page.text
    assert 'name="name"' not in page.text  # nothing of a token is edited
    # a GET never revokes
    assert admin_client.get(token_url(token, "revoke")).status_code == 405
    assert authenticate_bearer(bearer(key)) is not None
    # when
    response = admin_client.post(token_url(token, "revoke"), follow=True)
    # then
    assert response.redirect_chain[-1][0] == token_url(token)
    assert "Revoked 1 API token" in response.text
    assert token_url(token, "revoke") not in response.text  # no button any more
    assert authenticate_bearer(bearer(key)) is None


def test_an_administrator_revokes_tenant_tokens_with_the_action(tenant, admin_client):
    supervisor = factories.client_supervisor(tenant)
    theirs, key = factories.api_token(supervisor)
    response = admin_client.post(
        TOKENS, {"action": "revoke_selected", "_selected_action": [theirs.pk]}
    )
    assert response.status_code == 302
    assert authenticate_bearer(bearer(key)) is None
    entry = AuditEntry.objects.get(object_id=str(theirs.pk), action_flag=CHANGE)
    assert entry.user.membership.tenant == tenant


def test_no_delete_and_no_edit(admin_client, admin_user):
    token, _key = factories.api_token(admin_user)
    response = admin_client.get(TOKENS)
    assert set(response.context["action_form"].fields["action"].choices) >= {
        ("revoke_selected", "Revoke selected API tokens")
    }
    assert "delete_selected" not in str(response.context["action_form"])
    assert (
        admin_client.post(token_url(token, "delete"), {"post": "yes"}).status_code
        == 403
    )
    edit = admin_client.post(token_url(token), {"name": "Renamed"})
    assert edit.status_code == 403
    token.refresh_from_db()
    assert token.name == "CRM sync"


# ----- manage.py api_token ----------------------------------------------------------


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("api_token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_creates_a_token_and_prints_its_key(tenant, admin_user):
    out, err = run(
        "create", "--user", admin_user.username, "--name", "BI", "--expires-days", "7"
    )
    key = out.strip()
    token = authenticate_bearer(bearer(key))
    assert (token.user, token.name, token.tenant) == (admin_user, "BI", tenant)
    assert timedelta(days=6) < token.expires_at - timezone.now() <= timedelta(days=7)
    assert "BI" in err and key not in err
    # audited under the system account
    entry = AuditEntry.objects.get(object_id=str(token.pk), action_flag=ADDITION)
    assert entry.user.username == SYSTEM_USERNAME


def test_command_quiet_prints_the_key_only(admin_user):
    out, err = run("create", "--user", admin_user.username, "-v", "0")
    assert out.strip().startswith("cca_") and err == ""
    assert ApiToken.objects.get().name == "command line"


@pytest.mark.parametrize(
    ("who", "args", "message"),
    [
        ("inactive", (), "inactive"),
        ("unplaced", (), "works for no contact center"),
        ("admin", ("--expires-days", "3651"), "1 to 3650"),
        ("admin", ("--expires-days", "-5"), "1 to 3650"),
        ("admin", ("--name", " "), "Name is mandatory"),
    ],
)
def test_command_refusals_are_command_errors(tenant, who, args, message):
    user = {
        "inactive": lambda: factories.administrator(tenant, is_active=False),
        "unplaced": factories.unplaced_administrator,
        "admin": lambda: factories.administrator(tenant),
    }[who]()
    with pytest.raises(CommandError, match=message):
        run("create", "--user", user.username, *args)
    assert not ApiToken.objects.exists()


def test_command_lists_and_revokes(tenant, admin_user, provider):
    mine, key = factories.api_token(admin_user, name="CRM")
    factories.api_token(provider, name="Provider script")
    out, _err = run("list")
    assert len(out.splitlines()) == 2
    out, _err = run("list", "--user", admin_user.username)
    assert out.split("\t")[:6] == [
        str(mine.pk), admin_user.username, tenant.slug, "CRM", key[:8], "active"
    ]  # fmt: skip
    assert key not in out
    # when
    out, _err = run("revoke", str(mine.pk))
    # then
    assert "Revoked API token" in out
    assert authenticate_bearer(bearer(key)) is None
    out, _err = run("list", "--user", admin_user.username)
    assert "\trevoked\t" in out
    with pytest.raises(CommandError, match="already revoked"):
        run("revoke", str(mine.pk))
    with pytest.raises(CommandError, match="Unknown user"):
        run("list", "--user", "nobody")


def test_command_times_are_in_the_tenants_zone_labelled(tenant, admin_user, provider):
    """As its people read them in the admin: a Tokyo contact center's token
    expires at its Tokyo time, labelled; the provider's in UTC."""
    import zoneinfo

    tenant.time_zone = "Asia/Tokyo"
    tenant.save()
    _out, err = run("create", "--user", admin_user.username, "--expires-days", "3")
    token = ApiToken.objects.get()
    tokyo = token.expires_at.astimezone(zoneinfo.ZoneInfo("Asia/Tokyo"))
    assert f"expires: {tokyo:%Y-%m-%d %H:%M} Asia/Tokyo (JST)." in err
    factories.api_token(provider, name="Provider script")
    out, _err = run("list")
    mine, theirs = out.splitlines()
    created = token.created_at.astimezone(zoneinfo.ZoneInfo("Asia/Tokyo"))
    assert f"\t{created:%Y-%m-%d %H:%M} Asia/Tokyo (JST)\t" in mine
    assert theirs.split("\t")[6].endswith(" UTC")


def test_the_api_token_screens_speak_japanese(admin_client):
    form = admin_client.get(ADD_TOKEN, HTTP_ACCEPT_LANGUAGE="ja")
    assert "有効期限（日数）" in form.text
    shown = admin_client.post(
        ADD_TOKEN, {"name": "CRM", "expires_days": ""}, HTTP_ACCEPT_LANGUAGE="ja"
    )
    assert "表示はこの一度だけで" in shown.text
    listing = admin_client.get(TOKENS, HTTP_ACCEPT_LANGUAGE="ja")
    assert "API トークン" in listing.text and "有効" in listing.text


def test_deleting_an_account_deletes_its_tokens_in_the_database(admin_user):
    token, _key = factories.api_token(admin_user)
    admin_user.delete()
    assert not ApiToken.objects.filter(pk=token.pk).exists()
