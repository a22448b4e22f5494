"""The Content-Security-Policy in a real browser (issue 11, item 5): the admin and the
agent pages work under it with no violation on the console (the `csp_violations`
fixture of conftest.py fails any browser test that has one), and the check itself
catches a violation."""

from playwright.sync_api import expect

from tests import factories
from tests.e2e.conftest import sign_in_admin, sign_in_agent


def test_an_inline_style_is_refused_and_the_check_catches_it(
    live_server, page, csp_violations
):
    # given: a page served under the policy
    page.goto(live_server.url + "/accounts/login/")
    # when: something slips an inline style element into it
    page.evaluate(
        "() => { const s = document.createElement('style');"
        " s.textContent = 'body { color: red }'; document.head.appendChild(s); }"
    )
    # then: the browser refuses it and says so
    expect(page.locator("body")).not_to_have_css("color", "rgb(255, 0, 0)")
    page.wait_for_timeout(200)  # the console message arrives after the refusal
    assert any("style-src" in v for v in csp_violations), csp_violations
    csp_violations.clear()  # expected here; any other would fail the test


def test_admin_screens_work_under_the_policy(live_server, page, tenant):
    # given
    acme = factories.client_with_data(tenant, "Acme Insurance", contacts=2)
    factories.ServiceFactory(tenant=tenant, name="Acme Line", client_partition=acme)
    provider = factories.superuser()
    url = live_server.url
    sign_in_admin(page, url, provider.username)
    # when: the screens with scripts of their own are used
    page.goto(f"{url}/admin/partitions/clientpartition/{acme.pk}/change/")
    page.get_by_role("tab", name="Associations").click()  # tabs.js
    expect(page.locator("#associations")).to_be_visible()
    page.goto(f"{url}/admin/partitions/clientpartition/{acme.pk}/export/")
    expect(page.locator("td[data-rows='contacts.csv']")).to_have_text("2")
    page.goto(f"{url}/admin/partitions/clientpartition/{acme.pk}/delete/")
    page.get_by_role("button", name="No, take me back").click()  # cancel.js: back
    page.wait_for_url(f"{url}/admin/partitions/clientpartition/{acme.pk}/export/")
    page.goto(f"{url}/admin/contacts/contact/")
    page.goto(f"{url}/admin/ccadmin/tenant/{tenant.pk}/change/")  # autocomplete
    page.goto(f"{url}/admin/services/gatewaytoken/add/")
    page.fill("#id_name", "PBX Tokyo")
    page.select_option("#id_tenant", label=str(tenant))
    page.click("input[name=_save]")
    # then: the key is shown, and (the fixture checks) nothing was refused
    expect(page.locator(".messagelist")).to_contain_text("PBX Tokyo")


def test_agent_pages_work_under_the_policy(live_server, page, tenant):
    acme = factories.client_with_data(tenant, "Acme Insurance", contacts=1)
    agent = factories.agent(tenant)
    url = live_server.url
    sign_in_agent(page, url, agent.username)
    page.select_option("#id_client_partition", label="Acme Insurance")
    page.get_by_role("button", name="Show contacts").click()
    contact = acme.contacts.get()
    page.goto(f"{url}/agent/contacts/{contact.pk}/")
    expect(page.locator("h1")).to_be_visible()
    page.goto(f"{url}/agent/contacts/new/")
    expect(page.locator("form")).not_to_have_count(0)


def test_the_lockout_pages_work_under_the_policy(live_server, page, tenant, axe_check):
    from django.conf import settings

    agent = factories.agent(tenant)
    url = live_server.url
    for login, button in [
        ("/accounts/login/", "main form button[type=submit]"),
        ("/admin/login/", "input[type=submit]"),
    ]:
        for _ in range(settings.AXES_FAILURE_LIMIT + 1):
            page.goto(url + login)
            page.fill("#id_username", agent.username)
            page.fill("#id_password", "wrong password")
            page.click(button)
        expect(page.locator(".signin-locked-out")).to_contain_text(
            "Too many failed sign-ins. Try again in 15 minutes"
        )
        axe_check(page, f"the lockout page of {login}")


def test_offboarding_pages_and_certificate_work_under_the_policy(
    live_server, page, tenant
):
    from partitions.models import ClientPartition, DeletionCertificate

    # given
    acme = factories.client_with_data(tenant, "Acme Insurance", contacts=1)
    provider = factories.superuser()
    url = live_server.url
    sign_in_admin(page, url, provider.username)
    # when: offboarded from its own page, then cancelled, then deleted by "x"
    page.goto(f"{url}/admin/partitions/clientpartition/{acme.pk}/change/")
    page.get_by_role("link", name="Offboard").click()
    page.fill("#id_grace_days", "3")
    page.click("input.partition-offboard-submit")
    expect(page.locator(".partition-offboarding-note")).to_contain_text(
        "Offboarding: purge on"
    )
    page.get_by_role("link", name="Cancel offboarding").click()
    page.click("input.partition-cancel-offboarding-submit")
    expect(page.locator(".messagelist")).to_contain_text("cancelled")
    assert not ClientPartition.objects.get(pk=acme.pk).is_offboarding
    page.goto(f"{url}/admin/partitions/clientpartition/{acme.pk}/delete/")
    page.click("input[type=submit]")
    certificate = DeletionCertificate.objects.get(client_partition_id=acme.pk)
    page.goto(f"{url}/admin/partitions/deletioncertificate/{certificate.pk}/change/")
    page.goto(f"{url}/admin/partitions/deletioncertificate/{certificate.pk}/print/")
    # then: the printable page is styled from its static file (the fixture checks
    # that nothing was refused)
    expect(page.locator("h1")).to_contain_text("Deletion certificate")
    expect(page.locator("body")).to_have_css("font-family", "sans-serif")
