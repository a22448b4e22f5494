"""A Japanese-speaking administrator and agent: Accept-Language and the switch."""

from playwright.sync_api import expect

from partitions.models import ClientPartition
from tests import factories
from tests.e2e.conftest import sign_in_admin

LIST = "/admin/partitions/clientpartition/"


def test_japanese_administrator_deletes_a_client_in_japanese(
    live_server, browser, tenant, screenshot, axe_check
):
    # given: a browser that asks for Japanese
    context = browser.new_context(
        locale="ja-JP", viewport={"width": 1280, "height": 800}
    )
    page = context.new_page()
    admin = factories.administrator(tenant)
    acme = factories.client_with_data(tenant, "Acme Insurance", contacts=3)
    factories.ServiceFactory(
        tenant=tenant, name="Acme Claims Line", client_partition=acme
    )
    factories.ClientPartitionFactory(tenant=tenant, name="さくら銀行")
    url = live_server.url

    # when: the administrator signs in and opens the list
    sign_in_admin(page, url, admin.username)
    page.goto(url + LIST)

    # then: everything is in Japanese
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.locator("#site-name")).to_have_text("コンタクトセンター管理者")
    expect(page.locator(".partition-usage")).to_contain_text(
        "クライアントパーティション 20 件中 2 件使用"
    )
    axe_check(page, "the partition list in Japanese")
    screenshot(page, "ja-admin-partition-list")

    # The partition page's tabs, in Japanese.
    page.locator("#result_list a", has_text="Acme Insurance").click()
    page.get_by_role("tab", name="関連付け").click()
    expect(page.get_by_role("tabpanel", name="関連付け")).to_contain_text(
        "Acme Claims Line"
    )
    axe_check(page, "the partition page in Japanese")
    screenshot(page, "ja-admin-associations-tab")

    # The confirmation sentence in Japanese, then the delete.
    page.goto(url + LIST)
    page.get_by_role("link", name="「Acme Insurance」を削除").click()
    expect(page.locator(".partition-delete-question")).to_have_text(
        "「Acme Insurance」を、このクライアントに属するすべての連絡先、メール、"
        "活動履歴を含めて削除してもよろしいですか？"
    )
    axe_check(page, "the delete confirmation in Japanese")
    screenshot(page, "ja-admin-delete-confirmation")
    page.get_by_role("button", name="はい、削除します").click()
    expect(page.locator("ul.messagelist").first).to_contain_text(
        "クライアントパーティション「Acme Insurance」を削除しました：連絡先 3件、"
        "会社 2件、メール 3件、活動履歴 6件。割り当てを解除したサービス 1件"
    )
    assert not ClientPartition.objects.filter(pk=acme.pk).exists()
    context.close()


def test_language_switch_turns_the_agent_desktop_japanese(
    live_server, page, tenant, screenshot
):
    # given: an agent whose browser asks for English
    factories.ClientPartitionFactory(tenant=tenant, name="さくら銀行")
    agent = factories.agent(tenant)
    url = live_server.url
    page.goto(url + "/accounts/login/")
    expect(page.locator("h1")).to_have_text("Sign in")

    # when: the switch in the page is set to 日本語
    page.select_option("#language-switch-select", "ja")
    page.get_by_role("button", name="Change").click()

    # then: the page, and the ones after it, are Japanese
    expect(page.locator("h1")).to_have_text("サインイン")
    page.fill("#id_username", agent.username)
    page.fill("#id_password", "pw")
    page.get_by_role("button", name="サインイン").click()
    page.wait_for_url(url + "/agent/")
    expect(page.locator("label[for=id_client_partition]")).to_have_text(
        "BPOクライアント"
    )
    page.select_option("#id_client_partition", label="さくら銀行")
    page.get_by_role("button", name="連絡先を表示").click()
    expect(page.get_by_role("link", name="さくら銀行 の新しい連絡先")).to_be_visible()
    screenshot(page, "ja-agent-desktop")
