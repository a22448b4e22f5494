"""An administrator's whole day with client partitions, in a real browser."""

import re

from playwright.sync_api import expect

from contacts.models import Activity, Company, Contact, Email
from partitions.models import ClientPartition
from services.models import Service
from tests import factories
from tests.e2e.conftest import sign_in_admin

SENTENCE = (
    "Are you absolutely sure you want to delete {} including all contacts, emails, "
    "activity history belonging to this client?"
)
LIST = "/admin/partitions/clientpartition/"
ADD_LINKS = "a[href='/admin/partitions/clientpartition/add/']"


def messages(page):
    """The admin's messages after an action (the first list: the limit notice of the
    partition list is styled as one too, further down)."""
    return page.locator("ul.messagelist").first


def _counts(partition: ClientPartition) -> dict[str, int]:
    return {
        model.__name__: model.objects.filter(partition=partition).count()
        for model in (Contact, Company, Email, Activity)
    }


def _run_action(page, action_label: str, row_name: str) -> None:
    """Tick one row of the list and run an action on it, as an administrator does."""
    row = page.locator("#result_list tbody tr", has_text=row_name)
    row.locator("input.action-select").check()
    page.select_option("select[name=action]", label=action_label)
    page.locator("#changelist-form button[name=index]").click()


def test_administrator_manages_client_partitions(
    live_server, page, tenant, screenshot, axe_check
):
    # given: a contact center allowed 4 clients, holding 2 with data
    tenant.client_partition_limit = 4
    tenant.save()
    admin = factories.administrator(tenant)
    doomed = factories.client_with_data(tenant, "Globex Telecom", contacts=3)
    factories.ServiceFactory(
        tenant=tenant, name="Globex Support", client_partition=doomed
    )
    kept = factories.client_with_data(tenant, "Umbrella Bank", contacts=2)
    kept_before = _counts(kept)
    line = factories.ServiceFactory(tenant=tenant, name="Acme Claims Line")
    url = live_server.url

    # when: the administrator signs in and opens Client partitions
    sign_in_admin(page, url, admin.username)
    page.goto(url + LIST)

    # then: "2 of 4 used", with a notice that only two places are left
    expect(page.locator(".partition-usage")).to_contain_text(
        "2 of 4 client partitions used"
    )
    expect(page.locator(".partition-limit-near")).to_contain_text(
        "Only 2 more client partitions can be added."
    )
    axe_check(page, "the client partition list")
    screenshot(page, "admin-partition-list")

    # Add two clients with "+" up to the limit.
    for name in ("Acme Insurance", "Initech"):
        page.locator(".object-tools a.addlink").click()
        page.fill("#id_name", name)
        page.fill("#id_description", f"Customer service for {name}.")
        page.locator("input[name=_save]").click()
        expect(messages(page)).to_contain_text(name)

    # At the limit the "+" is gone (the menu's "Add" too) and the list says why.
    expect(page.locator(ADD_LINKS)).to_have_count(0)
    expect(page.locator(".partition-limit-reached")).to_contain_text(
        "4 of 4 client partitions used. The limit is reached"
    )
    screenshot(page, "admin-partition-limit")
    # The add page itself refuses too, with the message.
    page.goto(url + LIST + "add/")
    expect(messages(page)).to_contain_text(
        "The client partition limit is reached: 4 of 4"
    )
    assert ClientPartition.objects.filter(tenant=tenant).count() == 4

    # Edit one.
    page.locator("#result_list a", has_text="Initech").click()
    page.fill("#id_description", "IT help desk, Japanese and English.")
    page.locator("input[name=_save]").click()
    expect(messages(page)).to_contain_text("Initech")
    initech = ClientPartition.objects.get(tenant=tenant, name="Initech")
    assert initech.description == "IT help desk, Japanese and English."

    # Disable it from the list, then enable it again; each message says what happened.
    _run_action(page, "Disable selected client partitions", "Initech")
    expect(messages(page)).to_contain_text('Disabled 1 client partition: "Initech".')
    initech.refresh_from_db()
    assert initech.enabled is False
    _run_action(page, "Enable selected client partitions", "Initech")
    expect(messages(page)).to_contain_text('Enabled 1 client partition: "Initech".')
    initech.refresh_from_db()
    assert initech.enabled is True

    # Assign a service to Acme in the service's Properties ...
    page.goto(url + f"/admin/services/service/{line.pk}/change/")
    page.select_option("#id_client_partition", label="Acme Insurance")
    page.locator("input[name=_save]").click()
    expect(messages(page)).to_contain_text("Acme Claims Line")
    line.refresh_from_db()
    assert line.client_partition.name == "Acme Insurance"

    # ... and find it on Acme's Associations tab, reached with the keyboard.
    page.goto(url + LIST)
    page.locator("#result_list a", has_text="Acme Insurance").click()
    properties = page.get_by_role("tab", name="Properties")
    associations = page.get_by_role("tab", name="Associations")
    expect(properties).to_have_attribute("aria-selected", "true")
    expect(page.locator("#associations")).to_be_hidden()
    axe_check(page, "the client partition page (Properties tab)")
    properties.focus()
    page.keyboard.press("ArrowRight")
    expect(associations).to_be_focused()
    expect(associations).to_have_attribute("aria-selected", "true")
    expect(page.locator("#properties")).to_be_hidden()
    panel = page.get_by_role("tabpanel", name="Associations")
    expect(panel.locator("table.partition-associations")).to_contain_text(
        "Acme Claims Line"
    )
    axe_check(page, "the client partition page (Associations tab)")
    screenshot(page, "admin-associations-tab")
    page.keyboard.press("Home")
    expect(properties).to_have_attribute("aria-selected", "true")

    # Open Globex's delete "x": the spec's sentence, word for word, and the counts.
    page.goto(url + LIST)
    page.get_by_role("link", name='Delete "Globex Telecom"').click()
    expect(page.locator(".partition-delete-question")).to_have_text(
        SENTENCE.format("Globex Telecom")
    )
    expect(page.locator("[data-count=contacts]")).to_have_text("3")
    expect(page.locator("[data-count=companies]")).to_have_text("2")
    expect(page.locator("[data-count=emails]")).to_have_text("3")
    expect(page.locator("[data-count=activities]")).to_have_text("6")
    expect(page.locator(".partition-delete-services")).to_contain_text("Globex Support")
    axe_check(page, "the delete confirmation")
    screenshot(page, "admin-delete-confirmation")

    # Cancel: back to the list, nothing deleted.
    page.get_by_role("button", name="No, take me back").click()
    page.wait_for_url(re.compile(re.escape(url + LIST) + r"$"))
    assert ClientPartition.objects.filter(pk=doomed.pk).exists()
    assert _counts(doomed)["Contact"] == 3

    # Delete: the client's data is gone, the other client's is whole.
    page.get_by_role("link", name='Delete "Globex Telecom"').click()
    page.get_by_role("button", name="Yes, I’m sure").click()
    expect(messages(page)).to_contain_text(
        'Client partition "Globex Telecom" deleted: 3 contacts, 2 companies, '
        "3 emails, 6 activity entries; 1 service unassigned"
    )
    screenshot(page, "admin-deleted-message")
    assert not ClientPartition.objects.filter(pk=doomed.pk).exists()
    for model in (Contact, Company, Email, Activity):
        assert not model.objects.filter(partition_id=doomed.pk).exists()
    assert Service.objects.get(name="Globex Support").client_partition is None
    assert _counts(kept) == kept_before
    # A place is free again: the "+" is back.
    expect(page.locator(".object-tools a.addlink")).to_have_count(1)
