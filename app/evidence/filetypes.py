"""Which uploaded files are allowed, and what their names become on the way back out: the public face of
the upload checks, kept so that `from app.evidence.filetypes import X` works wherever it is used.

- `app.evidence.filekinds`: the allowlist as data (types, extensions, labels, signatures, limits).
- `app.evidence.sniffing`: `inspect_file`, the decision by CONTENT (an allowlist), never by name or declared type.
- `app.evidence.filenames`: `safe_download_name`, `display_name` and `content_disposition`, which turn the
  user's original filename into something safe to send back in a download header.
"""

from app.evidence.filekinds import (
    EICAR,
    EXT_BY_KIND,
    HEAD_BYTES,
    INLINE_KINDS,
    KINDS,
    LABEL_BY_KIND,
    MAX_ZIP_ENTRIES,
    MAX_ZIP_RATIO,
    MAX_ZIP_TOTAL,
    MIME_BY_KIND,
    SCAN_CHUNK,
    ZIP_RATIO_MIN_SIZE,
)
from app.evidence.filenames import MAX_NAME_LENGTH, content_disposition, display_name, safe_download_name
from app.evidence.sniffing import FileVerdict, contains_eicar, inspect_file

__all__ = [
    "EICAR",
    "EXT_BY_KIND",
    "HEAD_BYTES",
    "INLINE_KINDS",
    "KINDS",
    "LABEL_BY_KIND",
    "MAX_NAME_LENGTH",
    "MAX_ZIP_ENTRIES",
    "MAX_ZIP_RATIO",
    "MAX_ZIP_TOTAL",
    "MIME_BY_KIND",
    "SCAN_CHUNK",
    "ZIP_RATIO_MIN_SIZE",
    "FileVerdict",
    "contains_eicar",
    "content_disposition",
    "display_name",
    "inspect_file",
    "safe_download_name",
]
