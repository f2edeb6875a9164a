"""The upload allowlist as data: every allowed kind with its served type, extension and label, what libmagic's
answers are called in a refusal, and the signatures and limits that `app.evidence.sniffing` checks against.

A table read as a table: change a kind here, its checks live in sniffing.py.
"""

HEAD_BYTES = 8 * 1024
SCAN_CHUNK = 1 << 20

MAX_ZIP_ENTRIES = 2000
MAX_ZIP_TOTAL = 200 * 1024 * 1024
MAX_ZIP_RATIO = 100
# Entries smaller than this are not checked for their ratio: tiny, repetitive XML parts can compress
# better than 100:1 and are harmless; a bomb needs large entries.
ZIP_RATIO_MIN_SIZE = 1024 * 1024

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"

MIME_BY_KIND: dict[str, str] = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "heic": "image/heic",
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "webm": "video/webm",
    "mp3": "audio/mpeg",
    "m4a": "audio/mp4",
    "wav": "audio/wav",
    "text": "text/plain; charset=utf-8",
}
KINDS = tuple(MIME_BY_KIND)

# The extension a download gets, and the other spellings that may stay.
EXT_BY_KIND: dict[str, str] = {
    "pdf": "pdf",
    "docx": "docx",
    "xlsx": "xlsx",
    "pptx": "pptx",
    "odt": "odt",
    "ods": "ods",
    "odp": "odp",
    "jpeg": "jpg",
    "png": "png",
    "webp": "webp",
    "heic": "heic",
    "mp4": "mp4",
    "mov": "mov",
    "webm": "webm",
    "mp3": "mp3",
    "m4a": "m4a",
    "wav": "wav",
    "text": "txt",
}
EXTRA_EXTS: dict[str, frozenset[str]] = {
    "jpeg": frozenset({"jpeg", "jpe"}),
    "heic": frozenset({"heif", "hif"}),
    "mp4": frozenset({"m4v"}),
}

INLINE_KINDS = frozenset({"jpeg", "png", "webp", "pdf"})

LABEL_BY_KIND: dict[str, str] = {
    "pdf": "PDF",
    "docx": "Word-document",
    "xlsx": "Excel-werkmap",
    "pptx": "PowerPoint-presentatie",
    "odt": "OpenDocument-tekst",
    "ods": "OpenDocument-rekenblad",
    "odp": "OpenDocument-presentatie",
    "jpeg": "JPEG-afbeelding",
    "png": "PNG-afbeelding",
    "webp": "WebP-afbeelding",
    "heic": "HEIC-foto",
    "mp4": "MP4-video",
    "mov": "QuickTime-video (MOV)",
    "webm": "WebM-video",
    "mp3": "MP3-audio",
    "m4a": "M4A-audio",
    "wav": "WAV-audio",
    "text": "tekst",
}

# What libmagic says, as a Dutch label for a refusal.
LABEL_BY_MIME: dict[str, str] = {
    "text/html": "HTML",
    "application/xhtml+xml": "HTML",
    "image/svg+xml": "SVG",
    "text/xml": "XML",
    "application/xml": "XML",
    "image/gif": "GIF-afbeelding",
    "application/x-executable": "uitvoerbaar programma (ELF)",
    "application/x-pie-executable": "uitvoerbaar programma (ELF)",
    "application/x-sharedlib": "uitvoerbaar programma (ELF)",
    "application/x-object": "uitvoerbaar programma (ELF)",
    "application/x-coredump": "uitvoerbaar programma (ELF)",
    "application/x-dosexec": "uitvoerbaar programma (Windows)",
    "application/vnd.microsoft.portable-executable": "uitvoerbaar programma (Windows)",
    "application/x-msdownload": "uitvoerbaar programma (Windows)",
    "application/x-mach-binary": "uitvoerbaar programma (Mach-O)",
    "application/x-msi": "Windows-installatiebestand (MSI)",
    "text/x-shellscript": "script",
    "text/x-php": "PHP-script",
    "application/x-httpd-php": "PHP-script",
    "application/javascript": "JavaScript",
    "text/javascript": "JavaScript",
    "text/x-msdos-batch": "script (Windows batch)",
    "text/x-perl": "script (Perl)",
    "text/x-ruby": "script (Ruby)",
    "text/x-script.python": "script (Python)",
    "text/x-lua": "script (Lua)",
    "text/x-tcl": "script (Tcl)",
    "text/x-awk": "script (awk)",
    "text/rtf": "RTF-document",
    "application/rtf": "RTF-document",
    "application/zip": "ZIP-archief",
    "application/x-7z-compressed": "7-Zip-archief",
    "application/x-rar": "RAR-archief",
    "application/vnd.rar": "RAR-archief",
    "application/gzip": "gzip-archief",
    "application/x-bzip2": "bzip2-archief",
    "application/x-xz": "xz-archief",
    "application/x-tar": "tar-archief",
    "application/x-ole-storage": "Office 97-2003-bestand (OLE)",
    "application/msword": "Word 97-2003-document (.doc)",
    "application/vnd.ms-excel": "Excel 97-2003-werkmap (.xls)",
    "application/vnd.ms-powerpoint": "PowerPoint 97-2003-presentatie (.ppt)",
    "image/avif": "AVIF-afbeelding",
    "image/tiff": "TIFF-afbeelding",
    "image/bmp": "BMP-afbeelding",
    "image/x-ms-bmp": "BMP-afbeelding",
    "image/vnd.microsoft.icon": "pictogram (ICO)",
    "video/3gpp": "3GP-video",
    "video/3gpp2": "3GP-video",
    "video/x-matroska": "Matroska-video (MKV)",
    "video/x-msvideo": "AVI-video",
    "video/x-ms-asf": "Windows Media-bestand",
    "audio/x-flac": "FLAC-audio",
    "audio/flac": "FLAC-audio",
    "audio/ogg": "Ogg-audio",
    "video/ogg": "Ogg-video",
    "application/postscript": "PostScript",
    "application/epub+zip": "EPUB-boek",
    "application/java-archive": "Java-archief (JAR)",
    "application/x-java-applet": "Java-programma",
    "application/vnd.android.package-archive": "Android-app (APK)",
    "application/octet-stream": "onbekende binaire gegevens",
}

# libmagic results that refuse a file even when its structure looked fine.
DANGEROUS_MIMES = frozenset(
    mime
    for mime, label in LABEL_BY_MIME.items()
    if label.startswith(("HTML", "SVG", "XML", "uitvoerbaar", "script", "PHP", "JavaScript", "RTF", "Windows"))
)

# libmagic results that agree with each kind (libmagic has no opinion on our zip-based checks beyond a veto).
MAGIC_AGREES: dict[str, frozenset[str]] = {
    "pdf": frozenset({"application/pdf"}),
    "jpeg": frozenset({"image/jpeg"}),
    "png": frozenset({"image/png", "image/apng"}),
    "webp": frozenset({"image/webp"}),
    "heic": frozenset({"image/heic", "image/heif", "image/heic-sequence", "image/heif-sequence"}),
    "mp4": frozenset({"video/mp4", "audio/mp4", "video/x-m4v", "application/mp4"}),
    "mov": frozenset({"video/quicktime"}),
    "webm": frozenset({"video/webm", "audio/webm"}),
    "mp3": frozenset({"audio/mpeg", "audio/mp3", "audio/x-mp3", "audio/mpeg3"}),
    "m4a": frozenset({"audio/x-m4a", "audio/mp4", "audio/m4a", "video/mp4"}),
    "wav": frozenset({"audio/x-wav", "audio/wav", "audio/vnd.wave", "audio/wave"}),
}

ODF_KINDS = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
    b"application/vnd.oasis.opendocument.presentation": "odp",
}
OOXML_MAIN_PART = {"word/document.xml": "docx", "xl/workbook.xml": "xlsx", "ppt/presentation.xml": "pptx"}

HEIC_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"mif2"})
AVIF_BRANDS = frozenset({b"avif", b"avis"})
M4A_BRANDS = frozenset({b"M4A ", b"M4B "})
MP4_BRANDS = frozenset(
    {
        b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso7", b"iso8", b"iso9",
        b"mp41", b"mp42", b"mp71", b"avc1", b"dash", b"M4V ", b"M4VH", b"M4VP", b"MSNV",
        b"NDAS", b"XAVC", b"mmp4", b"f4v ",
    }
)  # fmt: skip

# Markup in something that otherwise looks like text: served anywhere as text/html or image/svg+xml it would
# run script, so it is refused even though we always send text as text/plain with nosniff.
MARKUP_MARKERS: tuple[tuple[bytes, str], ...] = (
    (b"<svg", "SVG"),
    (b"<?php", "PHP-script"),
    (b"<!doctype", "HTML"),
    (b"<html", "HTML"),
    (b"<script", "HTML"),
    (b"<iframe", "HTML"),
    (b"<body", "HTML"),
    (b"<object", "HTML"),
    (b"<embed", "HTML"),
    (b"<frameset", "HTML"),
    (b"<?xml", "XML"),
)
