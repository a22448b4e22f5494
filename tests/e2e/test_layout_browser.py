"""The admin at 1366 px, the width a new administrator worked at (issue 18): the
Audit trail's list one line a row and its entry page, and a client list holding an
80-character name with no spaces, in English and in Japanese, with no horizontal
scrolling. The screenshots are the README's."""

import io

import pytest
from playwright.sync_api import expect

from ccadmin import audit
from contacts.models import Contact
from partitions.export import export_client_partition
from partitions.models import ClientPartition
from tests import factories
from tests.e2e.conftest import sign_in_admin

WIDE = {"width": 1366, "height": 768}
# 80 characters, no space: a client's name as some CRMs export it.
LONG_NAME = (
    "GlobalInsuranceCustomerCareOutsourcingDivisionTokyoOsakaNagoyaFukuoka" * 2
)[:80]
# Every list row of the trail stays one line: about 30 px at the admin's font size.
ROW_HEIGHT_MAX = 45
LANGUAGES = [("en-US", "en", ""), ("ja-JP", "ja", "ja-")]


def _no_horizontal_overflow(page) -> None:
    overflow = page.evaluate(
        "document.scrollingElement.scrollWidth - window.innerWidth"
    )
    assert overflow <= 0, f"{page.url} is {overflow} px wider than the window"


def _trail_of(tenant, admin) -> None:
    """A day's audit trail: clients added, one renamed, a contact's address changed,
    a client exported, a long message."""
    acme = factories.client_with_data(tenant, "Acme Insurance", contacts=3)
    long = factories.ClientPartitionFactory(tenant=tenant, name=LONG_NAME)
    sakura = factories.ClientPartitionFactory(tenant=tenant, name="さくら銀行")
    for partition in (acme, long, sakura):
        audit.log_addition(admin, partition)
    before = audit.snapshot(sakura)
    sakura.description = "Retail banking, Kanto region; calls and chat " * 3
    sakura.save()
    audit.log_change(admin, [sakura], before=before)
    contact = Contact.objects.filter(partition=acme).first()
    before = audit.snapshot(contact)
    contact.email = "hanako.yamada@example.co.jp"
    contact.save()
    audit.log_change(admin, [contact], before=before)
    export_client_partition(acme, io.BytesIO(), actor=admin)
    audit.log_event(
        admin,
        long,
        "Imported contacts: "
        + ", ".join(f"line {i}: the phone is not a phone number" for i in range(12)),
    )


@pytest.mark.parametrize(("locale", "lang", "prefix"), LANGUAGES)
def test_audit_trail_and_a_long_name_fit_1366_px(
    live_server, browser, tenant, screenshot, axe_check, locale, lang, prefix
):
    # given: a Tokyo contact center's administrator with a day of audit trail
    tenant.time_zone = "Asia/Tokyo"
    tenant.save()
    admin = factories.administrator(tenant)
    _trail_of(tenant, admin)
    context = browser.new_context(locale=locale, viewport=WIDE)
    page = context.new_page()
    url = live_server.url
    sign_in_admin(page, url, admin.username)

    # when: they open the client list, with its 80-character name
    page.goto(url + "/admin/partitions/clientpartition/")

    # then: the name wraps inside its cell; nothing is pushed off-screen
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("#result_list")).to_contain_text(LONG_NAME[:20])
    _no_horizontal_overflow(page)
    hidden = page.evaluate(
        "(() => { const r = document.querySelector('#changelist .results');"
        " return r.scrollWidth - r.clientWidth; })()"
    )
    assert hidden <= 0, f"the client list's columns are {hidden} px too wide"
    screenshot(page, f"{prefix}admin-long-name-list")

    # when: they open the Audit trail
    page.goto(url + "/admin/ccadmin/auditentry/")

    # then: one line a row, the times in Tokyo time, named; nothing off-screen
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(7)
    heights = [box["height"] for box in (r.bounding_box() for r in rows.all())]
    assert max(heights) <= ROW_HEIGHT_MAX, heights
    expect(page.locator("#result_list")).to_contain_text("JST")
    expect(page.locator(".time-zone-note")).to_contain_text("Asia/Tokyo (JST)")
    _no_horizontal_overflow(page)
    # Nor inside the list's own scrolling box: every column is in view.
    hidden = page.evaluate(
        "(() => { const r = document.querySelector('#changelist .results');"
        " return r.scrollWidth - r.clientWidth; })()"
    )
    assert hidden <= 0, f"the trail's columns are {hidden} px wider than the list"
    axe_check(page, f"the audit trail ({lang})")
    screenshot(page, f"{prefix}admin-audit-trail")

    # when: they filter exports, then open the export's entry
    exported = "Exported" if lang == "en" else "エクスポート"
    page.locator("#changelist-filter").get_by_role("link", name=exported).click()
    expect(rows).to_have_count(1)
    rows.first.locator("th a").click()

    # then: the entry's page lays it out, the message as a list
    expect(page.locator("ul.audit-changes li").first).to_contain_text(
        "Exported the client's data"
    )
    _no_horizontal_overflow(page)
    axe_check(page, f"an audit trail entry ({lang})")
    screenshot(page, f"{prefix}admin-audit-entry")
    context.close()
    assert ClientPartition.objects.filter(name=LONG_NAME).exists()
