"""Second defence against impossible times: an email or activity entry whose stored
time is at the edge of what Python can represent (year 9999, year 1) is shown on
every page, in any time zone, instead of answering 500."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from contacts.models import Activity, Email
from tests import factories

UTC = datetime.UTC
EDGES = {
    # Tokyo is ahead of UTC: the last representable instant overflows there.
    "year-9999": (datetime.datetime(9999, 12, 31, 23, 59, tzinfo=UTC), "Asia/Tokyo"),
    # New York is behind: the first one underflows.
    "year-1": (datetime.datetime(1, 1, 1, 0, 0, tzinfo=UTC), "America/New_York"),
}


@pytest.fixture(params=list(EDGES))
def stored(request, tenant, settings):
    """One email and its activity entry whose stored time is `request.param`."""
    moment, zone = EDGES[request.param]
    settings.TIME_ZONE = zone
    partition = factories.ClientPartitionFactory(tenant=tenant)
    contact = factories.ContactFactory(tenant=tenant, partition=partition)
    email = factories.EmailFactory(tenant=tenant, partition=partition, contact=contact)
    activity = factories.ActivityFactory(
        tenant=tenant, partition=partition, contact=contact, email=email
    )
    # Written straight, as a bad row from before the input checks would be.
    Email.objects.filter(pk=email.pk).update(sent_at=moment)
    Activity.objects.filter(pk=activity.pk).update(occurred_at=moment)
    return {
        "email": email,
        "activity": activity,
        "contact": contact,
        "year": f"{moment.year:04d}",
    }


ADMIN_PAGES = {
    "email-list": lambda s: reverse("admin:contacts_email_changelist"),
    "activity-list": lambda s: reverse("admin:contacts_activity_changelist"),
    "email-change": lambda s: reverse(
        "admin:contacts_email_change", args=[s["email"].pk]
    ),
    "activity-change": lambda s: reverse(
        "admin:contacts_activity_change", args=[s["activity"].pk]
    ),
}


@pytest.mark.parametrize("page", list(ADMIN_PAGES))
def test_admin_pages_show_an_edge_time(admin_client, stored, page):
    response = admin_client.get(ADMIN_PAGES[page](stored))
    assert response.status_code == 200
    assert stored["year"] in response.text


def test_agent_contact_page_shows_an_edge_time(tenant, stored):
    client = Client()
    client.force_login(factories.agent(tenant))
    response = client.get(reverse("agent:contact", args=[stored["contact"].pk]))
    assert response.status_code == 200
    assert stored["year"] in response.text
