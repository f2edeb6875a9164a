"""`/healthz`, `/readyz` and `/metrics`: for the load balancer and Prometheus, not for people. No sign-in; they
pass the active-request limit (app.main._passes_by), so a full queue does not make an instance look dead."""

import hmac
import ipaddress
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from app.config import Settings
from app.ops import health, metrics
from app.web import public

# Public: no sign-in (a probe has none); /metrics checks its own token or address.
router = APIRouter(include_in_schema=False, dependencies=[Depends(public)])

PATHS = ("/healthz", "/readyz", "/metrics")
NO_STORE = {"Cache-Control": "no-store"}


@router.get("/healthz")
def healthz() -> Response:
    return PlainTextResponse("ok", headers=NO_STORE)


@router.get("/readyz")
async def readyz(request: Request) -> Response:
    ready, checks = await run_in_threadpool(health.readiness, request.app.state.engine, request.app.state.storage)
    return JSONResponse(checks, status_code=200 if ready else 503, headers=NO_STORE)


def _ip_allowed(allowed: str, host: str | None) -> bool:
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    for entry in (e.strip() for e in allowed.split(",")):
        if entry:
            try:
                if address in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                continue  # a typo in the setting allows nobody, rather than failing every scrape
    return False


def metrics_access(settings: Settings, authorization: str | None, client_host: str | None) -> int:
    """200 when allowed; 404 when /metrics is not configured (it does not exist then); 401 for a wrong token."""
    token, allowed = settings.metrics_token, settings.metrics_allow_ips.strip()
    if not token and not allowed:
        return 404
    if allowed and _ip_allowed(allowed, client_host):
        return 200
    if token:
        scheme, _, sent = (authorization or "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(sent.strip().encode(), token.encode()):
            return 200
        return 401
    return 404


@router.get("/metrics")
async def metrics_page(request: Request, authorization: Annotated[str | None, Header()] = None) -> Response:
    status = metrics_access(request.app.state.settings, authorization, request.client and request.client.host)
    if status == 404:
        return PlainTextResponse("Deze pagina bestaat niet.", status_code=404, headers=NO_STORE)
    if status == 401:
        headers = {**NO_STORE, "WWW-Authenticate": "Bearer"}
        return PlainTextResponse("Niet aangemeld.", status_code=401, headers=headers)
    body, content_type = await run_in_threadpool(metrics.render, request.app.state.engine)
    return Response(body, media_type=content_type, headers=NO_STORE)
