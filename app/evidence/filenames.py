"""Filenames for downloads: the user's original name made safe to offer (`safe_download_name`), to show in a
message (`display_name`) and to send in a Content-Disposition header (`content_disposition`)."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from app.evidence.filekinds import EXT_BY_KIND, EXTRA_EXTS

MAX_NAME_LENGTH = 120
_STRIP_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp", "Co", "Cn"})
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
_UNSAFE_IN_NAMES = str.maketrans({c: "_" for c in '<>:"|?*'})
_WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(1, 10)} | {f"lpt{i}" for i in range(1, 10)}
)
_EXT_LIKE = re.compile(r"[A-Za-z0-9]{0,7}[A-Za-z][A-Za-z0-9]{0,7}")


def _clean_chars(name: str) -> str:
    out = []
    for ch in name:
        if ch in _BIDI_CONTROLS or unicodedata.category(ch) in _STRIP_CATEGORIES:
            if ch in "\t\n\r\x0b\x0c":
                out.append(" ")
            continue
        out.append(" " if ch.isspace() else ch)
    return " ".join("".join(out).split())


def safe_download_name(original_name: str, kind: str) -> str:
    """A filename to offer for download: no directories, control or bidi characters, leading dots; at most
    120 characters; its extension always matches `kind` (so `a.pdf.html` recognised as PDF becomes `a.pdf.pdf`)."""
    ext = EXT_BY_KIND.get(kind)
    if ext is None:
        raise ValueError(f"Onbekend bestandstype: {kind!r}")
    name = unicodedata.normalize("NFC", original_name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = _clean_chars(name).translate(_UNSAFE_IN_NAMES)
    stem, dot, current = name.rpartition(".")
    if not dot:
        stem, current = name, ""
    allowed = {ext} | EXTRA_EXTS.get(kind, frozenset())
    if current.lower() in allowed:
        ext = current  # keep the user's spelling (.JPG, .jpeg)
    elif dot and not _EXT_LIKE.fullmatch(current):
        stem = name  # "verslag v2.0": the part after the dot is no extension, keep it
    stem = stem.strip(" .")
    stem = stem.lstrip(".-_ ")
    if stem.lower().split(".")[0] in _WINDOWS_RESERVED:
        stem = f"bestand-{stem}"
    stem = stem[: MAX_NAME_LENGTH - len(ext) - 1].rstrip(" .")
    if not stem:
        stem = "bestand"
    return f"{stem}.{ext}"


def display_name(original_name: str) -> str:
    """The user's filename as shown in a message ("evil.svg: ..."): cleaned like `safe_download_name` (no
    directories, control or bidi characters, at most 120 characters) but WITH its own extension, whatever it is."""
    name = unicodedata.normalize("NFC", original_name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = _clean_chars(name).translate(_UNSAFE_IN_NAMES).strip(" ")
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, ext = name.rpartition(".")
        if dot and stem and len(ext) <= 16:
            name = f"{stem[: MAX_NAME_LENGTH - len(ext) - 1].rstrip(' .')}.{ext}"
        else:
            name = name[:MAX_NAME_LENGTH]
    return name or "bestand"


def _ascii_fallback(filename: str) -> str:
    text = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    text = "".join(ch for ch in text if " " <= ch <= "~" and ch not in '"\\%')
    text = " ".join(text.split()).strip(" .")
    stem, dot, _ = text.rpartition(".")
    if not dot or not stem.strip(" ._-"):
        suffix = filename.rpartition(".")[2] if "." in filename else ""
        suffix = "".join(ch for ch in suffix if ch.isascii() and ch.isalnum())
        text = f"bestand.{suffix}" if suffix else "bestand"
    return text


def content_disposition(filename: str, inline: bool = False) -> str:
    """A Content-Disposition header value (RFC 6266 with RFC 5987 `filename*`), safe for any input."""
    disposition = "inline" if inline else "attachment"
    cleaned = "".join(
        ch
        for ch in filename
        if ch not in _BIDI_CONTROLS and unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Zl", "Zp"}
    )
    if not cleaned.strip():
        cleaned = "bestand"
    encoded = quote(cleaned, safe="", encoding="utf-8", errors="strict")
    return f"{disposition}; filename=\"{_ascii_fallback(cleaned)}\"; filename*=UTF-8''{encoded}"
