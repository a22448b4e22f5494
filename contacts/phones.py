"""Phone numbers as the contact center stores and matches them.

A caller presented by the PBX as "+81 90 3141 5926" is the contact an agent typed as
"090-3141-5926": both are stored in E.164 ("+819031415926"), parsed by Google's
libphonenumber (the `phonenumbers` package) with the tenant's default region
(`Tenant.default_phone_region`) for numbers written without a country code.

Numbers libphonenumber cannot make a whole number of (short codes such as "110" or
"0570", internal PBX extensions such as "2045", numbers too short or too long for
their country) keep a compact form instead: their digits, with a leading "+" if one
was typed. They are still stored and matched exactly, as typed once separators are
gone. A number with an extension ("03-1234-5678 ext. 12") is stored in E.164 with the
extension in RFC 3966's notation, "+81312345678;ext=12": a different line from the
main number, so a call from the main number does not find it.

Gateways often present callers as RFC 3966 `tel:` URIs ("tel:+81-3-1234-5678",
"tel:0312345678;phone-context=+81") or as SIP URIs of a number
("sip:+81312345678@pbx.example;user=phone"): those are numbers too.
"""

import functools
import re
import unicodedata

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Spaces, dashes, dots and brackets are how people write numbers ("03-1234-5678",
# "+81 (90) 1234 5678"); they carry no meaning for matching a caller. NFKC has
# already turned full-width forms ("０９０－１２３４") into these; the Unicode dashes
# (hyphen, minus, katakana long vowel mark typed as a dash) are added by hand.
SEPARATORS = re.compile(r"[\s\-.()/\u2010-\u2015\u2212\u30fc]")
# What is left once separators are gone: digits with an optional "+", then an
# optional extension as people and PBXs write it.
_NUMBER = re.compile(
    r"(?P<number>\+?\d{3,20})(?:(?:;ext=|ext|x|#|内線)(?P<extension>\d{1,10}))?",
    re.IGNORECASE,
)


# The longest text read as a phone number: "+81 (090) 3141-5926 内線 1234" is 28
# characters, a SIP URI of a number with its host and parameters some 60.
MAX_WRITTEN_LENGTH = 64

# An RFC 3966 or SIP URI of a phone number: its scheme, the number (the SIP user part)
# and its parameters, of which only the extension matters for matching.
_URI = re.compile(
    r"(?:tel|sips?):(?P<number>[^;@]+)(?:@[^;]*)?(?P<parameters>(?:;[^;]*)*)",
    re.IGNORECASE,
)


def number_of_uri(value: str) -> str:
    """The number a `tel:` or SIP URI presents, with its extension ("tel:+81-3-1234-
    5678;ext=12" -> "+81-3-1234-5678;ext=12"); any other text as it is."""
    match = _URI.fullmatch((value or "").strip())
    if match is None:
        return value
    extension = next(
        (
            parameter
            for parameter in match["parameters"].split(";")
            if parameter.lower().startswith("ext=")
        ),
        "",
    )
    return match["number"] + (f";{extension}" if extension else "")


def default_region() -> str:
    """The region numbers without a country code belong to, for a tenant that has
    none of its own: the PHONE_DEFAULT_REGION setting ("JP")."""
    return settings.PHONE_DEFAULT_REGION


def normalize_phone(value: str, region: str | None = None) -> str:
    """Return a phone number as stored: E.164 ("+819031415926") when it is a
    possible number of its country (with "+CC..." or in `region`'s national form),
    else its digits (short codes, internal extensions).

    Raises ValidationError for text that is not a phone number.
    """
    value = value or ""
    # Refused before the cache: _stored_form's cache is keyed by the text as given,
    # so a hostile file of long "phones" (a few KB compressed in a workbook) would
    # pin each one in every worker that read it. No way of writing a number, with
    # its separators, country code and extension, comes near this length.
    too_long = len(value) > MAX_WRITTEN_LENGTH
    stored = (
        None if too_long else _stored_form(value, (region or default_region()).upper())
    )
    if stored is None:
        raise ValidationError(
            _("Enter a phone number of 3 to 20 digits, optionally starting with +."),
            code="invalid_phone",
        )
    return stored


# A contact's number is normalised several times on its way in (the model's rules
# run normalize() in clean_fields, clean and before the insert, then check it is
# storable): libphonenumber's parse is the largest part of an import's time per
# row, and the same few values come back. A pure function of (value, region),
# so a bounded cache cannot change an answer.
@functools.lru_cache(maxsize=4096)
def _stored_form(value: str, region: str) -> str | None:
    """The stored form of `value` read in `region`, or None if it is no number."""
    compact = SEPARATORS.sub("", unicodedata.normalize("NFKC", number_of_uri(value)))
    match = _NUMBER.fullmatch(compact)
    if match is None:
        return None
    number, extension = match["number"], match["extension"]
    stored = _e164(number, region) or number
    return f"{stored};ext={extension}" if extension else stored


def _e164(number: str, region: str) -> str | None:
    """E.164 of a compact number, or None when libphonenumber cannot make a possible
    number of it. "Possible" (the right length for the country), not "valid" (an
    allocated range): a range opened after this library's release still normalises
    the same way as its callers, today and after an upgrade."""
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def search_forms(word: str, region: str | None = None) -> list[str]:
    """The stored forms a phone typed into a search box may appear in: its stored
    form when it is a whole number, its digits, and, for the start of a national
    number ("090-3141"), the same digits after the country code ("+81903141").
    Empty for a word that is not a phone number."""
    compact = SEPARATORS.sub("", unicodedata.normalize("NFKC", word or ""))
    if not re.fullmatch(r"\+?\d+", compact):
        return []
    forms = [compact]
    try:
        forms.append(normalize_phone(compact, region))
    except ValidationError:
        pass
    region = (region or default_region()).upper()
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    prefix = metadata.national_prefix if metadata else None
    if prefix and compact.startswith(prefix) and not compact.startswith("+"):
        code = phonenumbers.country_code_for_region(region)
        forms.append(f"+{code}{compact[len(prefix) :]}")
    return list(dict.fromkeys(forms))


def written_forms(stored: str, region: str | None = None) -> list[str]:
    """The ways a stored phone (E.164) is commonly written: as stored, in
    international and national format, and its national digits ("+819011112222",
    "+81 90-1111-2222", "090-1111-2222", "09011112222"), for finding it in free
    text (an erasure removes it from the audit trail's messages)."""
    try:
        parsed = phonenumbers.parse(stored, (region or default_region()).upper())
    except phonenumbers.NumberParseException:
        return [stored] if stored else []
    formats = phonenumbers.PhoneNumberFormat
    national = phonenumbers.format_number(parsed, formats.NATIONAL)
    forms = [
        stored,
        phonenumbers.format_number(parsed, formats.E164),
        phonenumbers.format_number(parsed, formats.INTERNATIONAL),
        national,
        re.sub(r"\D", "", national),
    ]
    return list(dict.fromkeys(form for form in forms if form))
