"""Tenancy > API tokens in a real browser: a client supervisor makes a key, sees it
once, and revokes it; the pages pass axe and the Content-Security-Policy (the
csp_violations fixture fails the test on any refusal)."""

from playwright.sync_api import expect

from ccadmin.api_tokens import authenticate_bearer
from ccadmin.models import ApiToken
from tests import factories
from tests.e2e.conftest import sign_in_admin


def test_supervisor_makes_a_key_sees_it_once_and_revokes_it(
    live_server, page, tenant, screenshot, axe_check
):
    # given
    supervisor = factories.client_supervisor(tenant, username="mika")
    url = live_server.url
    sign_in_admin(page, url, supervisor.username)
    # when: Tenancy > API tokens > Add, with a lifetime
    page.goto(url + "/admin/")
    page.get_by_role("link", name="API tokens").click()
    page.get_by_role("link", name="Add API token").click()
    axe_check(page, "the add form")
    page.fill("#id_name", "CRM sync")
    page.fill("#id_expires_days", "90")
    page.click("input[name=_save]")
    # then: the key, once, with the header to send
    key = page.locator("#api-token-key").input_value()
    assert key.startswith("cca_")
    expect(page.locator("pre.api-token-header")).to_have_text(
        f"Authorization: Bearer {key}"
    )
    axe_check(page, "the key's page")
    screenshot(page, "admin-api-token-key")
    assert authenticate_bearer(f"Bearer {key}").user == supervisor
    page.get_by_role("link", name="I have copied the key").click()
    # the token's page: no key, a Revoke button
    expect(page.locator("#content")).not_to_contain_text(key)
    axe_check(page, "a token's page")
    page.get_by_role("button", name="Revoke").click()
    expect(page.locator("ul.messagelist")).to_contain_text("Revoked 1 API token")
    assert ApiToken.objects.get().revoked_at is not None
    assert authenticate_bearer(f"Bearer {key}") is None
    page.goto(url + "/admin/ccadmin/apitoken/")
    expect(page.locator("#result_list")).to_contain_text("revoked")
    screenshot(page, "admin-api-token-list")
