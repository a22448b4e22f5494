"""Counts in words through ngettext: "1 company", "2 companies", "0 audit trail
entries", in English and in Japanese."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from ccadmin.counts import count_of, counts_in_words, refused_rows
from ccadmin.import_report import ImportReport
from contacts.data_subject import describe_counts
from partitions.deletion import DeletionSummary
from tests import factories


@pytest.mark.parametrize(
    "kind, count, words",
    [
        ("contacts", 1, "1 contact"),
        ("companies", 1, "1 company"),
        ("companies", 0, "0 companies"),
        ("emails", 1, "1 email"),
        ("activities", 1, "1 activity entry"),
        ("activities", 1204, "1,204 activity entries"),
        ("email_sources", 1, "1 original message"),
        ("people", 1, "1 person"),
        ("people", 2, "2 people"),
        ("records", 1, "1 record"),
        ("audit_entries", 0, "0 audit trail entries"),
    ],
)
def test_each_count_takes_its_noun_in_the_right_number(kind, count, words):
    assert count_of(kind, count) == words


def test_phrases_of_several_counts_in_english_and_japanese():
    counts = {"contacts": 1, "companies": 1, "emails": 2}
    assert counts_in_words(counts) == "1 contact, 1 company, 2 emails"
    assert refused_rows(1) == "1 row refused"
    with translation.override("ja"):
        assert counts_in_words(counts) == "連絡先 1件、会社 1件、メール 2件"


def test_deletion_and_data_subject_sentences_use_singulars():
    summary = DeletionSummary(1, "Acme", 1, 1, 1, 1, ["Line"])
    assert summary.describe() == (
        "1 contact, 1 company, 1 email, 1 activity entry; 1 service unassigned"
    )
    counts = {"contacts": 1, "emails": 1, "email_sources": 1, "activities": 1}
    assert describe_counts(counts) == (
        "1 contact, 1 email (1 original message), 1 activity entry"
    )


def test_admin_lists_count_in_words(admin_client, tenant):
    factories.ContactFactory(tenant=tenant)
    contacts = admin_client.get(reverse("admin:contacts_contact_changelist")).text
    assert re.search(r"\b1 contact\b(?!s)", contacts)
    activities = admin_client.get(reverse("admin:contacts_activity_changelist")).text
    assert "0 activity entries" in activities
    assert "0 activity history" not in activities


def test_audit_trail_list_counts_entries(admin_client, tenant):
    body = admin_client.get(reverse("admin:ccadmin_auditentry_changelist")).text
    assert re.search(r"\b0 audit trail entries\b", body)
    assert not re.search(r"\b0 audit trail\b(?! entries)", body)


def test_an_all_or_nothing_import_of_one_row_says_row():
    report = ImportReport(rows=1, refused=1, atomic=True)
    assert report.describe() == "Nothing imported (all or nothing): 1 of 1 row refused."


def test_a_capped_list_of_activity_counts_entries(admin_client, tenant, monkeypatch):
    from ccadmin import paginators

    monkeypatch.setattr(paginators, "COUNT_CAP", 1)
    factories.ActivityFactory.create_batch(3, tenant=tenant)
    body = admin_client.get(reverse("admin:contacts_activity_changelist")).text
    assert "More than 1 activity entry" in body
