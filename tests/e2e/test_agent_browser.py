"""An agent at the desktop, in a real browser, while an administrator works."""

from playwright.sync_api import expect

from contacts.models import Contact
from tests import factories
from tests.e2e.conftest import sign_in_admin, sign_in_agent


def _client_options(page) -> list[str]:
    return page.locator("#id_client_partition option").all_inner_texts()


def test_agent_sees_enabled_clients_and_adds_a_contact(
    live_server, browser, page, tenant, other_tenant, screenshot, axe_check
):
    # given: two enabled clients, one disabled, and another contact center's client
    acme = factories.ClientPartitionFactory(tenant=tenant, name="Acme Insurance")
    factories.ContactFactory(
        tenant=tenant, partition=acme, first_name="Hanako", last_name="Yamada"
    )
    factories.ClientPartitionFactory(tenant=tenant, name="Initech")
    factories.ClientPartitionFactory(tenant=tenant, name="Old Client", enabled=False)
    factories.ClientPartitionFactory(tenant=other_tenant, name="Contoso Retail")
    agent = factories.agent(tenant)
    admin = factories.administrator(tenant)
    url = live_server.url

    # when: the agent signs in
    page.goto(url + "/accounts/login/")
    axe_check(page, "the sign-in page")
    sign_in_agent(page, url, agent.username)

    # then: the drop-down offers only this contact center's enabled clients
    assert _client_options(page) == ["No client", "Acme Insurance", "Initech"]
    axe_check(page, "the agent desktop")

    # The agent picks Acme, sees its contacts and adds one.
    page.select_option("#id_client_partition", label="Acme Insurance")
    page.get_by_role("button", name="Show contacts").click()
    expect(page.locator("table caption")).to_contain_text("1 contact of Acme Insurance")
    screenshot(page, "agent-desktop")
    page.get_by_role("link", name="New contact for Acme Insurance").click()
    expect(page.locator("#id_client_partition")).to_have_value(str(acme.pk))
    page.fill("#id_first_name", "Taro")
    page.fill("#id_last_name", "Suzuki")
    page.fill("#id_email", "taro.suzuki@example.jp")
    page.fill("#id_phone", "+81 3 1234 5678")
    axe_check(page, "the new contact form")
    screenshot(page, "agent-new-contact")
    page.get_by_role("button", name="Save contact").click()
    expect(page.locator("h1")).to_contain_text("Suzuki")
    expect(page.locator(".messages")).to_contain_text("added")
    axe_check(page, "the contact's page")
    contact = Contact.objects.get(email="taro.suzuki@example.jp")
    assert contact.partition == acme
    assert contact.tenant == tenant

    # An administrator, in another browser, disables Acme from the list.
    admin_context = browser.new_context(locale="en-US")
    admin_page = admin_context.new_page()
    sign_in_admin(admin_page, url, admin.username)
    admin_page.goto(url + "/admin/partitions/clientpartition/")
    row = admin_page.locator("#result_list tbody tr", has_text="Acme Insurance")
    row.locator("input.action-select").check()
    admin_page.select_option(
        "select[name=action]", label="Disable selected client partitions"
    )
    admin_page.locator("#changelist-form button[name=index]").click()
    expect(admin_page.locator("ul.messagelist").first).to_contain_text(
        'Disabled 1 client partition: "Acme Insurance".'
    )
    admin_context.close()

    # The agent's drop-down no longer offers Acme, and a new contact cannot go there.
    page.goto(url + "/agent/")
    assert _client_options(page) == ["No client", "Initech"]
    page.goto(url + f"/agent/contacts/new/?client_partition={acme.pk}")
    assert "Acme Insurance" not in _client_options(page)
