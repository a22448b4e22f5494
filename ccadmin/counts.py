"""Counts in words: "1 contact", "1,204 contacts", in every message that shows one.

Each noun goes through ngettext, so English says "1 company" and "2 companies" and
Japanese its own form ("会社 1 件"). The calls are literal, one per noun, so that
makemessages finds both forms of each.
"""

from collections.abc import Mapping

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def count_of(kind: str, count: int) -> str:
    """`count` things of `kind` in words, with thousands separators: count_of(
    "contacts", 1) is "1 contact", count_of("activities", 1204) "1,204 activity
    entries". A kind not listed here is written "<count> <kind>"."""
    number = f"{count:,}"
    templates = {
        "contacts": lambda: ngettext("%(count)s contact", "%(count)s contacts", count),
        "companies": lambda: ngettext(
            "%(count)s company", "%(count)s companies", count
        ),
        "emails": lambda: ngettext("%(count)s email", "%(count)s emails", count),
        "activities": lambda: ngettext(
            "%(count)s activity entry", "%(count)s activity entries", count
        ),
        "services": lambda: ngettext("%(count)s service", "%(count)s services", count),
        "email_sources": lambda: ngettext(
            "%(count)s original message", "%(count)s original messages", count
        ),
        "people": lambda: ngettext("%(count)s person", "%(count)s people", count),
        "rows": lambda: ngettext("%(count)s row", "%(count)s rows", count),
        "records": lambda: ngettext("%(count)s record", "%(count)s records", count),
        "audit_entries": lambda: ngettext(
            "%(count)s audit trail entry", "%(count)s audit trail entries", count
        ),
    }
    template = templates.get(kind)
    if template is None:
        return f"{number} {kind}"
    return template() % {"count": number}


def counts_in_words(counts: Mapping[str, int], kinds: tuple[str, ...] = ()) -> str:
    """Several counts in one phrase, in the order of `kinds` (default: the
    mapping's): "3 contacts, 1 company, 0 emails"."""
    return _(", ").join(count_of(kind, counts[kind]) for kind in kinds or counts)


def refused_rows(count: int) -> str:
    """ "1 row refused", "12 rows refused": an import's refusals."""
    return ngettext("%(count)s row refused", "%(count)s rows refused", count) % {
        "count": f"{count:,}"
    }


def count_of_objects(model, count: int) -> str:
    """`count` rows of `model` in words, for the admin's lists: by the model's
    `count_kind` (see count_of) when its plural name is no plural ("audit trail",
    "activity history"), else Django's way, with its verbose names."""
    kind = getattr(model, "count_kind", None)
    if kind is not None:
        return count_of(kind, count)
    opts = model._meta
    name = opts.verbose_name if count == 1 else opts.verbose_name_plural
    return f"{count:,} {name}"
