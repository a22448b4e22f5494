"""Time zones (issue 18, item 1): a contact center's people read their own local
time, labelled; the service provider reads UTC or their choice; exports carry the
tenant's offset."""

import csv
import datetime
import io
import json
import urllib.request
import zipfile

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ccadmin.auth import TenantModelBackend
from ccadmin.models import Tenant
from ccadmin.zones import SESSION_KEY, TimeZoneMiddleware
from contacts.data_subject import export_subject, subject_of
from partitions.export import export_client_partition
from partitions.retention import apply_retention
from tests.factories import (
    ActivityFactory,
    ClientPartitionFactory,
    ContactFactory,
    TenantFactory,
    administrator,
    agent,
    signed_in,
    superuser,
)

# 09:45 in Tokyo is 00:45 UTC.
CALL_AT = datetime.datetime(2026, 12, 1, 0, 45, tzinfo=datetime.UTC)


@pytest.fixture
def tokyo(db) -> Tenant:
    return TenantFactory(time_zone="Asia/Tokyo")


@pytest.fixture
def call(tokyo):
    """A 09:45 JST call of a Tokyo tenant's contact."""
    partition = ClientPartitionFactory(tenant=tokyo, name="Acme")
    contact = ContactFactory(
        tenant=tokyo, partition=partition, email="hanako@example.com"
    )
    return ActivityFactory(
        tenant=tokyo, partition=partition, contact=contact, occurred_at=CALL_AT
    )


def test_a_tenant_zone_defaults_to_the_setting_and_must_be_an_iana_zone(db, settings):
    assert settings.USE_TZ  # stored in UTC, shown in a zone
    settings.TIME_ZONE = "Europe/London"
    tenant = Tenant(name="New", slug="new")
    assert tenant.time_zone == "Europe/London"
    tenant.time_zone = "Mars/Olympus_Mons"
    with pytest.raises(ValidationError) as refused:
        tenant.full_clean()
    assert "time_zone" in refused.value.message_dict
    tenant.time_zone = "Asia/Tokyo"
    tenant.full_clean()
    tenant.time_zone = "  "  # left empty on the provider's form: the setting
    tenant.normalize()
    assert tenant.time_zone == "Europe/London"


def test_a_tokyo_member_reads_0945_labelled(call, tokyo):
    page = signed_in(agent(tokyo)).get(f"/agent/contacts/{call.contact_id}/")
    text = page.content.decode()
    assert "2026-12-01 09:45" in text
    assert "00:45" not in text
    assert "Times in Asia/Tokyo (JST)" in text


def test_a_tokyo_administrator_reads_0945_in_the_admin(call, tokyo):
    page = signed_in(administrator(tokyo)).get("/admin/contacts/activity/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "9:45 a.m." in text  # Django's English format
    assert "Voice 2026-12-01 09:45 JST" in text  # the entry's name
    assert "00:45" not in text
    assert "Times in Asia/Tokyo (JST)" in text


def test_a_superuser_reads_utc_labelled_then_their_choice(call):
    browser = signed_in(superuser())
    text = browser.get("/admin/contacts/activity/").content.decode()
    assert "12:45 a.m." in text and "09:45" not in text
    assert "Times in UTC" in text
    refused = browser.post("/time-zone/", {"time_zone": "Nowhere/City"})
    assert refused.status_code == 200
    assert "Nowhere/City" in refused.content.decode()  # the choice error names it
    assert browser.session.get(SESSION_KEY) is None
    chosen = browser.post(
        "/time-zone/",
        {"time_zone": "Asia/Tokyo", "next": "/admin/contacts/activity/"},
    )
    assert chosen.status_code == 302
    assert chosen["Location"] == "/admin/contacts/activity/"
    text = browser.get("/admin/contacts/activity/").content.decode()
    assert "9:45 a.m." in text
    assert "Times in Asia/Tokyo (JST)" in text


def test_the_time_zone_page_goes_back_only_to_this_site(db):
    browser = signed_in(superuser())
    answer = browser.post(
        "/time-zone/", {"time_zone": "UTC", "next": "https://evil.example/"}
    )
    assert answer["Location"] == "/admin/"


def test_a_member_cannot_choose_a_zone(tokyo):
    browser = signed_in(administrator(tokyo))
    browser.post("/time-zone/", {"time_zone": "UTC"})
    assert SESSION_KEY not in browser.session
    text = browser.get("/admin/contacts/activity/").content.decode()
    assert "Times in Asia/Tokyo (JST)" in text
    assert "Change time zone" not in text


def test_activating_the_zone_costs_no_query_for_a_signed_in_member(tokyo):
    """The membership and tenant come with the user (TenantModelBackend), so the
    middleware reads the zone from memory."""
    user = administrator(tokyo)
    request = RequestFactory().get("/admin/")
    request.user = TenantModelBackend().get_user(user.pk)
    request.session = {}
    seen = []

    def view(request):
        seen.append(timezone.get_current_timezone_name())
        return HttpResponse()

    with CaptureQueriesContext(connection) as queries:
        TimeZoneMiddleware(view)(request)
    assert seen == ["Asia/Tokyo"]
    assert len(queries) == 0
    assert timezone.get_current_timezone_name() != "Asia/Tokyo"  # deactivated


def test_a_client_export_writes_the_tenants_offset(call, tokyo):
    buffer = io.BytesIO()
    manifest = export_client_partition(
        call.partition, buffer, actor=administrator(tokyo)
    )
    archive = zipfile.ZipFile(buffer)
    rows = list(
        csv.reader(
            io.StringIO(archive.read("activity_history.csv").decode("utf-8-sig"))
        )
    )
    assert "2026-12-01T09:45:00+09:00" in rows[1]
    stored = json.loads(archive.read("manifest.json"))
    assert stored["exported_at"].endswith("+09:00")
    assert manifest.exported_at is not None


def test_a_data_subject_export_writes_the_tenants_offset(call, tokyo):
    buffer = io.BytesIO()
    export_subject(subject_of(tokyo, email="hanako@example.com"), buffer, actor=None)
    archive = zipfile.ZipFile(buffer)
    [activity] = json.loads(archive.read("activities.json"))
    assert "2026-12-01T09:45:00+09:00" in activity.values()
    assert "2026-12-01T09:45:00+09:00" in archive.read("activities.csv").decode(
        "utf-8-sig"
    )
    assert json.loads(archive.read("manifest.json"))["exported_at"].endswith("+09:00")


def _fetch(url: str):
    """GET over loopback from pytest-django's live server (http only)."""
    return urllib.request.urlopen(url, timeout=30)  # noqa: S310 (our http server)


@pytest.mark.django_db(transaction=True)
def test_the_favicon_every_page_links_is_served(live_server):
    page = _fetch(f"{live_server.url}/admin/login/").read().decode()
    assert 'rel="icon"' in page
    href = page.split('rel="icon"')[1].split('href="')[1].split('"')[0]
    icon = _fetch(f"{live_server.url}{href}")
    assert icon.status == 200
    assert icon.headers["Content-Type"] == "image/svg+xml"
    assert b"<svg" in icon.read()
    # A page with no link (a JSON answer in a tab): /favicon.ico leads to it.
    fallback = _fetch(f"{live_server.url}/favicon.ico")
    assert fallback.status == 200
    assert fallback.headers["Content-Type"] == "image/svg+xml"
    agent_page = _fetch(f"{live_server.url}/accounts/login/")
    assert href in agent_page.read().decode()


def test_retentions_cutoff_is_written_in_the_tenants_zone(tokyo):

    partition = ClientPartitionFactory(
        tenant=tokyo, name="Kept a day", retention_days=1
    )
    ActivityFactory(tenant=tokyo, partition=partition, occurred_at=CALL_AT)
    apply_retention()
    entry = LogEntry.objects.filter(object_id=str(partition.pk)).latest("pk")
    assert "older than" in entry.change_message
    assert entry.change_message.endswith(" JST.")


def test_the_time_zone_page_offers_a_choice_to_superusers_only(tokyo):
    page = signed_in(superuser()).get("/time-zone/?next=/admin/")
    assert page.status_code == 200
    assert '<option value="Asia/Tokyo">' in page.text
    assert '<option value="UTC" selected>' in page.text
    member = signed_in(administrator(tokyo)).get("/time-zone/")
    assert member.status_code == 200
    assert "<select" not in member.text.split('id="content-main"')[1]
    assert "time zone, Asia/Tokyo (JST)" in member.text
    assert signed_in(superuser()).get("/time-zone/").status_code == 200
    assert Client().get("/time-zone/")["Location"].startswith("/admin/login/")


def test_the_demo_contact_centers_work_in_tokyo(db):
    call_command("seed_demo", stdout=io.StringIO())
    assert set(Tenant.objects.values_list("time_zone", flat=True)) == {"Asia/Tokyo"}
