"""How an interface answers: the shape of every HTML action's answer (done, refused, a partial for HTMX) and file
downloads (never rendered as a page of ours)."""

import logging
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from app.errors import BlobMissing, DomainError
from app.evidence.filetypes import content_disposition
from app.evidence.models import Blob
from app.i18n import Lazy
from app.storage import BlobNotFound, Storage
from app.web import is_htmx, redirect, redirect_with_notice, refuse, render

log = logging.getLogger(__name__)

# --- an HTML action's answer -------------------------------------------------------------------------------------


def done(request: Request, to: str, notice: Lazy | None = None) -> Response:
    """The action worked: a 303 (HTMX: HX-Redirect) to the page that shows the result, which shows `notice` once;
    a refresh there does not post again."""
    return redirect(to, request) if notice is None else redirect_with_notice(to, notice, request)


def page_or_partial(
    request: Request, template: str, partial: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    """The whole page, or for HTMX only the part of it that HTMX swaps (`partial`)."""
    return render(request, partial if is_htmx(request) else template, context, status_code=status_code)


def shown_in_place(
    request: Request, page: Callable[[], Response], *, notice: Lazy, push_url: str | None = None
) -> Response:
    """The action worked and answers with the updated page itself, no reload: `notice` on it, and with `push_url`
    the address bar set to what a refresh should load (HX-Push-Url)."""
    request.state.notice = notice
    response = page()
    if push_url is not None:
        response.headers["HX-Push-Url"] = push_url
    return response


def refused_in_place(request: Request, area: str, error: DomainError, page: Callable[[], Response]) -> Response:
    """The action was refused before it wrote anything. HTMX: the error handler puts the message in the form's
    message area (app.main._error_response, static/app.js). Without HTMX: the page the form is on again, the
    message next to its button (`area`), with the refusal's status."""
    if is_htmx(request):
        raise error
    refuse(request, area, error)
    response = page()
    response.status_code = error.status_code
    return response


# --- files -------------------------------------------------------------------------------------------------------

# Headers on every file response: never rendered as a page of ours, never cached, never sniffed.
FILE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox",
    "Cache-Control": "no-store",
}


def download_headers(name: str) -> dict[str, str]:
    """The headers of a generated download named `name` (a dossier, a register overview, an export)."""
    return {**FILE_HEADERS, "Content-Disposition": content_disposition(name)}


def file_response(storage: Storage, blob: Blob, *, inline: bool) -> Response:
    headers = {
        **FILE_HEADERS,
        "Content-Disposition": content_disposition(blob.download_name, inline=inline),
        "Content-Length": str(blob.size),
    }
    # Opened before the response starts: a store that is down answers 503 (StorageUnavailable), not a cut-off file;
    # bytes that are gone answer 404 with a message (BlobMissing), never a 500.
    try:
        chunks = storage.open_chunks(blob.key)
    except BlobNotFound:
        log.error("file missing from storage: blob %s", blob.id)  # never the name: it may describe a client
        raise BlobMissing() from None
    return StreamingResponse(chunks, media_type=blob.content_type, headers=headers)
