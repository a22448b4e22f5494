"""Tenancy > People in a real browser: a tenant's administrator restricts an agent to
one client, and the agent's drop-down then offers only that client.

The drop-down's narrowing is the client scoping (ccadmin.scoping, issue 12 part 1);
these tests show People and the scoping working together, in English and Japanese,
axe-clean and under the Content-Security-Policy.
"""

from playwright.sync_api import expect

from ccadmin.models import Membership
from tests import factories
from tests.e2e.conftest import sign_in_admin, sign_in_agent

PEOPLE = "/admin/ccadmin/membership/"


def _client_options(page) -> list[str]:
    return page.locator("#id_client_partition option").all_inner_texts()


def _restrict_to_acme(page, url, username: str, every_client: str, save: str):
    """On People, open the person and let them work for Acme Insurance only."""
    page.goto(url + PEOPLE)
    page.locator("#result_list a", has_text=username).click()
    page.get_by_label(every_client).uncheck()
    page.get_by_label("Acme Insurance").check()
    page.get_by_role("button", name=save, exact=True).click()


def test_administrator_restricts_an_agent_to_one_client(
    live_server, browser, page, tenant, screenshot, axe_check
):
    # given: two clients, an agent who works for both, and the administrator
    factories.ClientPartitionFactory(tenant=tenant, name="Acme Insurance")
    factories.ClientPartitionFactory(tenant=tenant, name="Initech")
    agent = factories.agent(tenant, username="aiko", first_name="Aiko")
    admin = factories.administrator(tenant, username="hana")
    url = live_server.url

    # when: the administrator opens People and restricts the agent to Acme
    sign_in_admin(page, url, admin.username)
    page.goto(url + "/admin/")
    page.get_by_role("link", name="People").click()
    expect(page.locator("#result_list")).to_contain_text("aiko")
    expect(page.locator("#result_list")).to_contain_text("All clients")
    axe_check(page, "the People list")
    page.locator("#result_list a", has_text="aiko").click()
    axe_check(page, "a person's page")
    _restrict_to_acme(page, url, "aiko", "Works for every client", "Save")

    # then: People says so, and the agent's drop-down offers only Acme
    expect(page.locator("ul.messagelist").first).to_contain_text("was changed")
    row = page.locator("#result_list tbody tr", has_text="aiko")
    expect(row).to_contain_text("Acme Insurance")
    expect(row).not_to_contain_text("Initech")
    screenshot(page, "admin-people-list")
    membership = Membership.objects.get(user=agent)
    assert [c.name for c in membership.client_partitions.all()] == ["Acme Insurance"]

    agent_context = browser.new_context(locale="en-US")
    agent_page = agent_context.new_page()
    sign_in_agent(agent_page, url, agent.username)
    assert "Initech" not in _client_options(agent_page)
    assert "Acme Insurance" in _client_options(agent_page)
    axe_check(agent_page, "the restricted agent's desktop")
    agent_context.close()


def test_administrator_adds_a_person_and_restricts_in_japanese(
    live_server, browser, tenant, screenshot, axe_check
):
    # given: a browser that asks for Japanese
    context = browser.new_context(
        locale="ja-JP", viewport={"width": 1280, "height": 800}
    )
    page = context.new_page()
    factories.ClientPartitionFactory(tenant=tenant, name="Acme Insurance")
    factories.ClientPartitionFactory(tenant=tenant, name="さくら銀行")
    agent = factories.agent(tenant, username="kenji")
    admin = factories.administrator(tenant, username="hana")
    url = live_server.url

    # when: the administrator opens People, in Japanese
    sign_in_admin(page, url, admin.username)
    page.goto(url + PEOPLE)

    # then: the screen speaks Japanese; the add form too
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.locator("#result_list thead")).to_contain_text("最終サインイン")
    expect(page.locator("#result_list")).to_contain_text("エージェント")
    axe_check(page, "the People list in Japanese")
    page.goto(url + PEOPLE + "add/")
    expect(page.locator("#content-main")).to_contain_text("初回サインイン")
    axe_check(page, "the add person form in Japanese")
    screenshot(page, "ja-admin-person-add")

    # The agent is restricted to Acme; their drop-down offers only Acme.
    _restrict_to_acme(page, url, "kenji", "すべてのクライアントを担当", "保存")
    row = page.locator("#result_list tbody tr", has_text="kenji")
    expect(row).to_contain_text("Acme Insurance")
    screenshot(page, "ja-admin-people-list")
    context.close()

    agent_context = browser.new_context(locale="ja-JP")
    agent_page = agent_context.new_page()
    sign_in_agent(agent_page, url, agent.username)
    assert "さくら銀行" not in _client_options(agent_page)
    assert "Acme Insurance" in _client_options(agent_page)
    agent_context.close()
