"""Japanese and English: a complete catalogue, and the admin speaking Japanese.

The language comes from the browser's Accept-Language, or from the switch in the page
(Django's set_language view), which remembers the choice in a cookie.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.urls import reverse

from partitions.models import ClientPartition
from tests import factories

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "locale" / "ja" / "LC_MESSAGES" / "django.po"
# What `makemessages` reads: the project's apps and templates (not tests, not bench).
APPS = ["ccadmin", "partitions", "services", "contacts", "interactions", "api", "demo"]
SOURCES = [*APPS, "templates", "manage.py"]
PLACEHOLDER = re.compile(r"%(?:\([a-z_]+\))?[-#0 +]*\d*(?:\.\d+)?[sdrfx]")

JA_QUESTION = (
    "「Acme」を、このクライアントに属するすべての連絡先、メール、活動履歴を含めて"
    "削除してもよろしいですか？"
)


def _untranslated(po: polib.POFile) -> list[str]:
    return [e.msgid for e in po.untranslated_entries()] + [
        e.msgid for e in po.fuzzy_entries()
    ]


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def test_japanese_catalogue_translates_every_entry():
    po = polib.pofile(str(CATALOGUE))
    assert len(po) > 250
    assert _untranslated(po) == []
    assert po.obsolete_entries() == []
    assert po.metadata["Plural-Forms"] == "nplurals=1; plural=0;"


def test_japanese_translations_keep_every_placeholder():
    """A translation that drops or renames a %(name)s would crash or mislead."""
    po = polib.pofile(str(CATALOGUE))
    wrong = []
    for entry in po.translated_entries():
        if "python-format" not in entry.flags:
            continue
        expected = _placeholders(entry.msgid)
        got = [entry.msgstr] if not entry.msgid_plural else entry.msgstr_plural.values()
        for text in got:
            if _placeholders(text) != expected:
                wrong.append((entry.msgid, text))
    assert wrong == []


def test_no_project_string_is_left_untranslated(tmp_path):
    """Run makemessages afresh on a copy of the sources: any string marked since the
    catalogue was written shows up untranslated (or fuzzy) and fails this test."""
    if shutil.which("xgettext") is None:
        reason = "needs GNU gettext's xgettext (apt-get install gettext)"
        if os.environ.get("CCADMIN_REQUIRE_TOOLS"):
            pytest.fail(reason)
        pytest.skip(reason)
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(
                source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy(source, tmp_path / name)
    (tmp_path / "locale" / "ja" / "LC_MESSAGES").mkdir(parents=True)
    shutil.copy(CATALOGUE, tmp_path / "locale" / "ja" / "LC_MESSAGES")

    done = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "ja", "--no-location"],
        cwd=tmp_path,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "ccadmin.settings_test"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    fresh = polib.pofile(str(tmp_path / "locale/ja/LC_MESSAGES/django.po"))
    assert _untranslated(fresh) == []
    committed = polib.pofile(str(CATALOGUE))
    assert {e.msgid for e in fresh if not e.obsolete} == {e.msgid for e in committed}


# ----- the admin in Japanese ---------------------------------------------------------


def _ja(client, url, **kwargs):
    return client.get(url, HTTP_ACCEPT_LANGUAGE="ja,en;q=0.5", **kwargs)


def test_accept_language_ja_shows_the_partition_list_in_japanese(admin_client, tenant):
    factories.ClientPartitionFactory(tenant=tenant, name="Acme")

    page = _ja(admin_client, reverse("admin:partitions_clientpartition_changelist"))

    html = page.content.decode()
    assert '<html lang="ja"' in html
    assert "コンタクトセンター管理者" in html
    assert "クライアントパーティション 20 件中 1 件使用" in html
    assert "選択したクライアントパーティションを無効にする" in html


def test_english_stays_the_default(admin_client, tenant):
    page = admin_client.get(reverse("admin:partitions_clientpartition_changelist"))

    html = page.content.decode()
    assert '<html lang="en"' in html
    assert "0 of 20 client partitions used" in html


def test_delete_confirmation_asks_in_japanese(admin_client, tenant):
    acme = factories.client_with_data(tenant, "Acme", contacts=3)
    url = reverse("admin:partitions_clientpartition_delete", args=[acme.pk])

    page = _ja(admin_client, url)

    html = page.content.decode()
    assert JA_QUESTION in html
    assert "活動履歴" in html and "データをエクスポート" in html


def test_delete_message_in_japanese(admin_client, tenant):
    acme = factories.client_with_data(tenant, "Acme", contacts=3, companies=2)
    factories.ServiceFactory(tenant=tenant, client_partition=acme)
    url = reverse("admin:partitions_clientpartition_delete", args=[acme.pk])

    response = admin_client.post(
        url, {"post": "yes"}, HTTP_ACCEPT_LANGUAGE="ja", follow=True
    )

    assert not ClientPartition.objects.filter(pk=acme.pk).exists()
    assert [str(m) for m in response.context["messages"]] == [
        "クライアントパーティション「Acme」を削除しました：連絡先 3件、会社 2件、"
        "メール 3件、活動履歴 6件。割り当てを解除したサービス 1件"
    ]


def test_language_switch_remembers_japanese(admin_client, tenant):
    list_url = reverse("admin:partitions_clientpartition_changelist")
    english = admin_client.get(list_url).content.decode()
    assert 'action="/i18n/setlang/"' in english  # the switch is in the header

    switched = admin_client.post(
        reverse("set_language"), {"language": "ja", "next": list_url}
    )

    assert switched.status_code == 302 and switched["Location"] == list_url
    # No Accept-Language now: the cookie set by the switch decides.
    assert "クライアントパーティション" in admin_client.get(list_url).content.decode()


def test_agent_desktop_in_japanese(tenant, client):
    factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    client.force_login(factories.agent(tenant))

    page = _ja(client, reverse("agent:desktop"))

    html = page.content.decode()
    assert "エージェントデスクトップ" in html
    assert "BPOクライアント" in html
    assert 'action="/i18n/setlang/"' in html


def test_selects_and_the_import_page_have_no_english_left_in_japanese(
    admin_client, tenant
):
    # Django 6.1's empty choice, and the import page's encoding label.
    service = _ja(admin_client, reverse("admin:services_service_add")).text
    assert "- Select an option -" not in service
    assert "- 選択してください -" in service
    page = _ja(admin_client, reverse("admin:contacts_contact_import")).text
    assert "Encoding" not in page
    assert "文字コード" in page


JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
# A Western full stop ending a Japanese sentence: at the end of the text, or before
# the next sentence ("…使用. 上限…").
WESTERN_STOP = re.compile(r"\.\s*$|[\u3040-\u30ff\u4e00-\u9fff）」]\. ")


def western_stops(po: polib.POFile) -> list[str]:
    """The Japanese translations in `po` with a sentence ending in "." not "。"."""
    found = []
    for entry in po.translated_entries():
        texts = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        found += [t for t in texts if JAPANESE.search(t) and WESTERN_STOP.search(t)]
    return found


def test_japanese_sentences_end_with_a_japanese_full_stop():
    """ "…しました." reads as a typo: a Japanese sentence ends with "。"."""
    assert western_stops(polib.pofile(str(CATALOGUE))) == []
    # The check itself finds both kinds.
    sample = polib.POFile()
    for msgid, msgstr in [("a", "削除しました."), ("b", "使用. 上限"), ("c", "OK.")]:
        sample.append(polib.POEntry(msgid=msgid, msgstr=msgstr))
    assert western_stops(sample) == ["削除しました.", "使用. 上限"]


def test_limit_notices_read_as_japanese_sentences(admin_client, tenant, settings):
    settings.CLIENT_PARTITION_LIMIT = 3
    for name in ("A", "B"):
        factories.ClientPartitionFactory(tenant=tenant, name=name)
    url = reverse("admin:partitions_clientpartition_changelist")
    near = _ja(admin_client, url).text
    assert "クライアントパーティション 3 件中 2 件使用。あと 1 件" in near
    factories.ClientPartitionFactory(tenant=tenant, name="C")
    full = _ja(admin_client, url).text
    assert "クライアントパーティション 3 件中 3 件使用。上限に達しました。" in full
