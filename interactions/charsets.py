"""Character sets of incoming email, read the way mail clients read them.

Mail is labelled by what the sender's software claims, not by what it wrote: Japanese
mail labelled Shift_JIS is Windows-31J (cp932, with ①②③, 髙 and ～ that strict
Shift_JIS lacks), ISO-2022-JP is often Microsoft's CP50221 (the same extensions, in
7-bit form), and "iso-8859-1" or "us-ascii" text with 8-bit bytes is Windows-1252.
One map (CHARSETS) serves headers (encoded words, raw 8-bit bytes) and bodies alike.

`decode_text` is the one way to turn a part's bytes into text: it says whether bytes
had to be replaced and whether the charset was unknown, so that the email's record
can carry a note saying so.
"""

from __future__ import annotations

import codecs
import re
from typing import NamedTuple

# Codecs of our own, found by `codecs.lookup` (and so by the email package's
# decoding of encoded words, =?shift_jis?B?...?=) through the search function below.
ISO_2022_JP = "ccadmin_iso_2022_jp"
EUC_JP = "ccadmin_euc_jp"
WINDOWS_1252 = "ccadmin_windows_1252"
UNKNOWN = "ccadmin_unknown"
# Text labelled US-ASCII (or not labelled) that holds 8-bit bytes: UTF-8 when it is
# valid UTF-8 (what most software sends), else Windows-1252.
ASCII = "ccadmin_ascii"

# The codec that reads text as clients do -> the labels (lower case) it reads.
_LABELS = {
    "cp932": (
        "shift_jis shift-jis sjis x-sjis s-jis ms_kanji ms-kanji csshiftjis "
        "windows-31j cswindows31j cp932 x-ms-cp932"
    ),
    ISO_2022_JP: (
        "iso-2022-jp iso2022jp iso_2022_jp csiso2022jp iso-2022-jp-ms cp50220 "
        "cp50221 cp50222"
    ),
    EUC_JP: "euc-jp euc_jp eucjp x-euc-jp cseucpkdfmtjapanese",
    "gb18030": "gb2312 gbk x-gbk csgb2312 euc-cn",
    "cp949": "ks_c_5601-1987 ks_c_5601 euc-kr korean csksc56011987",
    WINDOWS_1252: (
        "iso-8859-1 iso8859-1 iso_8859-1 latin1 latin-1 l1 cp819 windows-1252 cp1252"
    ),
    ASCII: "us-ascii ascii ansi_x3.4-1968 us csascii",
    UNKNOWN: "unknown-8bit x-unknown",
}
# The label a message declares (lower case) -> its codec; unlabelled text is ASCII's.
CHARSETS = {
    label: codec for codec, labels in _LABELS.items() for label in labels.split()
} | {"": ASCII}


def codec_for(label: str | None) -> tuple[str, bool]:
    """The codec that reads text labelled `label` (None: unlabelled), and whether the
    label is a character set anyone knows (False: read as UTF-8, else Windows-1252)."""
    label = (label or "").strip().strip('"').lower()
    if label in CHARSETS:
        return CHARSETS[label], label not in ("unknown-8bit", "x-unknown")
    try:
        codec = codecs.lookup(label)
    except LookupError:
        return UNKNOWN, False
    if not codec._is_text_encoding:
        # zlib, base64, rot13: Python's codecs, not character sets; the email
        # package would fail on them ("charset=zlib" is a sender's, not ours).
        return UNKNOWN, False
    return label, True


# The charset of an encoded word (=?shift_jis?B?...?=) and of an RFC 2231 parameter
# (filename*=shift_jis''%82%BF...), to be read with CHARSETS.
ENCODED_WORD = re.compile(r"=\?([^?*\s]+)((?:\*[^?\s]*)?\?[bBqQ]\?)")
_RFC2231_CHARSET = re.compile(r"(\*=\s*\"?)([A-Za-z0-9_.:-]+)'")


def with_known_charsets(value: str) -> str:
    """A header value whose encoded words and RFC 2231 parameters name the codecs
    that read their charsets as clients do (before the email package decodes them)."""
    value = ENCODED_WORD.sub(
        lambda found: f"=?{codec_for(found[1])[0]}{found[2]}", value
    )
    if "*=" in value:
        value = _RFC2231_CHARSET.sub(
            lambda found: f"{found[1]}{codec_for(found[2])[0]}'", value
        )
    return value


class Decoded(NamedTuple):
    """Text read from bytes: whether some bytes were replaced (U+FFFD), and the label
    of the character set when nobody knows it (else "")."""

    text: str
    replaced: bool
    unknown_charset: str


def decode_text(data: bytes, label: str | None) -> Decoded:
    """`data` as text in the character set `label`, as a mail client shows it:
    strictly when possible, else with the bytes that are not text replaced."""
    codec, known = codec_for(label)
    unknown = "" if known else (label or "").strip()
    try:
        return Decoded(data.decode(codec), False, unknown)
    except UnicodeDecodeError:
        return Decoded(data.decode(codec, "replace"), True, unknown)


def decode_header_bytes(data: bytes) -> str:
    """Raw 8-bit bytes of a header (RFC 6532 allows UTF-8 there; older software writes
    its own charset): UTF-8, else cp932, else Windows-1252 (which reads any byte)."""
    for codec in ("utf-8", "cp932"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    return data.decode(WINDOWS_1252)


# --- Windows-1252 as browsers and mail clients read it (WHATWG): the five bytes that
# cp1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) read as Latin-1, so that no
# byte is ever undecodable. Python's cp1252 refuses them.


def _latin1_for_undefined(error: UnicodeDecodeError) -> tuple[str, int]:
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error("ccadmin_latin1", _latin1_for_undefined)


def _decode_windows_1252(data, errors="strict"):
    return bytes(data).decode("cp1252", "ccadmin_latin1"), len(data)


def _decode_unknown(data, errors="strict"):
    try:
        return bytes(data).decode("utf-8"), len(data)
    except UnicodeDecodeError:
        return _decode_windows_1252(data)


def _decode_ascii(data, errors="strict"):
    data = bytes(data)
    if data.isascii():
        return data.decode("ascii"), len(data)
    return _decode_unknown(data)


def _decode_euc_jp(data, errors="strict"):
    # Python's euc_jp is JIS X 0208 only: ① (NEC row 13, as Windows writes EUC-JP)
    # is missing. euc_jis_2004 (JIS X 0213) has row 13 at the same codes, so it reads
    # what euc_jp cannot; tried second so ordinary text keeps euc_jp's mapping.
    data = bytes(data)
    try:
        return data.decode("euc_jp"), len(data)
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("euc_jis_2004"), len(data)
    except UnicodeDecodeError:
        return data.decode("euc_jp", errors), len(data)


# --- ISO-2022-JP with Microsoft's extensions (CP50221). Hand-written: Python has no
# CP50221 codec and PyPI has no well-kept one. JIS X 0208 code pairs are converted to
# Shift_JIS arithmetically and decoded as cp932, so NEC row 13 (①) and the IBM
# extensions (髙) read as Windows writes them; ESC ( I (and SO/SI) switch to JIS X
# 0201 half-width katakana, which is cp932's single bytes 0xA1-0xDF.

_ESCAPES = {
    b"\x1b(B": "ascii",
    b"\x1b(J": "ascii",  # JIS X 0201 Roman: ASCII but for ¥ and ‾, read as ASCII
    b"\x1b(I": "kana",
    b"\x1b$@": "jis",
    b"\x1b$B": "jis",
    b"\x1b&@": None,  # announces JIS X 0208-1990, followed by ESC $ B: no change
    b"\x1b$(D": "other",  # JIS X 0212, which CP50221 does not have
}


def _jis_to_sjis(first: int, second: int) -> bytes:
    lead = (first + 1) // 2 + (0x70 if first <= 0x5E else 0xB0)
    if first % 2:
        trail = second + 0x1F + (1 if second >= 0x60 else 0)
    else:
        trail = second + 0x7E
    return bytes((lead, trail))


def _decode_cp50221(data: bytes, errors: str) -> str:
    out: list[str] = []
    shifted = bytearray()  # cp932 bytes of the current run
    mode, saved, i, size = "ascii", "ascii", 0, len(data)

    def flush():
        if shifted:
            out.append(shifted.decode("cp932", errors))
            shifted.clear()

    def bad(chunk: bytes):
        # Bytes that are no character in the current mode (one U+FFFD per run).
        if errors == "strict":
            raise UnicodeDecodeError("cp50221", data, i, i + len(chunk), "not JIS")
        flush()
        out.append("\ufffd")

    while i < size:
        byte = data[i]
        if byte == 0x1B:
            for escape, new_mode in _ESCAPES.items():
                if data.startswith(escape, i):
                    mode = new_mode or mode
                    i += len(escape)
                    break
            else:
                bad(data[i : i + 1])
                i += 1
            continue
        if byte == 0x0E:  # SO: half-width katakana until SI (CP50222's form)
            saved, mode, i = mode, "kana", i + 1
            continue
        if byte == 0x0F:
            mode, i = saved, i + 1
            continue
        if byte in (0x0A, 0x0D) or mode == "ascii":
            if byte < 0x80:
                shifted.append(byte)
            else:
                bad(data[i : i + 1])
            i += 1
            continue
        if mode == "kana":
            if 0x21 <= byte <= 0x5F:
                shifted.append(byte + 0x80)
            else:
                bad(data[i : i + 1])
            i += 1
            continue
        pair = data[i : i + 2]
        if mode == "jis" and len(pair) == 2 and all(0x21 <= b <= 0x7E for b in pair):
            shifted += _jis_to_sjis(*pair)
        else:
            bad(pair)
        i += 2
    flush()
    return "".join(out)


def _decode_iso_2022_jp(data, errors="strict"):
    data = bytes(data)
    try:
        return data.decode("iso2022_jp"), len(data)
    except UnicodeDecodeError:
        return _decode_cp50221(data, errors), len(data)


def _encoder(codec: str):
    # Encoding is never used for incoming mail; the standard codec serves it.
    return lambda text, errors="strict": codecs.lookup(codec).encode(text, errors)


_OUR_CODECS = {
    ISO_2022_JP: (_decode_iso_2022_jp, "iso2022_jp"),
    EUC_JP: (_decode_euc_jp, "euc_jp"),
    WINDOWS_1252: (_decode_windows_1252, "cp1252"),
    UNKNOWN: (_decode_unknown, "utf-8"),
    ASCII: (_decode_ascii, "utf-8"),
}


def _search(name: str) -> codecs.CodecInfo | None:
    found = _OUR_CODECS.get(name.replace("-", "_"))
    if found is None:
        return None
    decode, encoding = found
    return codecs.CodecInfo(name=name, encode=_encoder(encoding), decode=decode)


codecs.register(_search)
