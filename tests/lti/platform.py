"""A learning platform that is not our code: `lti1p3platform` (PyPI) builds the OIDC login initiation and signs
the id_token; its JWKS is served from a loopback HTTP server, as a real platform's would be. Only the small
adapters that package asks every framework to write are here (registration lookup, redirect, request, form)."""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from jwcrypto.jwk import JWK  # type: ignore[import-untyped]
from lti1p3platform import ltiplatform as lti_platform
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request, TRequest

ISSUER = "https://brightspace.school.example"
CLIENT_ID = "portfolio-tool"
DEPLOYMENT_ID = "deployment-1"
FRAME_ORIGIN = "https://brightspace.school.example"
LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
LEARNER = LIS + "membership#Learner"
INSTRUCTOR = LIS + "membership#Instructor"
TOOL = "https://testserver"


def new_private_key() -> str:
    key = JWK.generate(kty="RSA", size=2048)
    pem: bytes = key.export_to_pem(private_key=True, password=None)
    return pem.decode()


class Platform(lti_platform.LTI1P3PlatformConfAbstract):
    """The platform's configuration of our tool, as the package models it."""

    def init_platform_config(self, **kwargs: Any) -> None:
        self.settings = kwargs

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        s = self.settings
        return (
            Registration()
            .set_iss(s.get("iss", ISSUER))
            .set_client_id(s.get("client_id", CLIENT_ID))
            .set_deployment_id(s.get("deployment_id", DEPLOYMENT_ID))
            .set_oidc_login_url(f"{TOOL}/lti/login")
            .set_launch_url(f"{TOOL}/lti/launch")
            .set_platform_private_key(s["private_key"])
            .set_platform_public_key(JWK.from_pem(s["private_key"].encode()).export_to_pem().decode())
            .set_tool_key_set_url(f"{TOOL}/lti/jwks")
        )


class Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> str:
        return url


class _Req(Request):
    def build_metadata(self, request: Any) -> TRequest:
        return {"method": "GET", "form_data": {}, "get_data": request, "headers": {}, "content_type": None, "path": ""}


class Launch(LTIAdvantageMessageLaunchAbstract):
    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return launch_data


def login_url(platform: Platform, *, user: str, hint: str = "resource-link-1") -> str:
    """The platform's OIDC login initiation: the URL the browser is sent to at our /lti/login."""
    login = Login(None, platform)
    login.set_lti_message_hint(hint=hint)
    url: str = login.initiate_login(user)
    return url


def launch(
    platform: Platform,
    authorization_request: str,
    *,
    sub: str,
    roles: list[str],
    context_id: str = "course-1",
    student_number: str | None = None,
    extra: dict[str, Any] | None = None,
    expires_in: int = 300,
) -> dict[str, Any]:
    """The platform's answer to our authorization request: a signed id_token, state and where to post them."""
    params = dict(parse_qsl(urlsplit(authorization_request).query))
    message = Launch(_Req(params), platform)
    message.set_user_data(sub, roles, full_name="Lotte de Vries", email_address="lotte@student.nl")
    message.set_resource_link_claim("resource-link-1", title="Portfolio")
    message.set_launch_context_claim(context_id, context_title="Jobcoach 2026-A")
    message.set_id_token_expiration(expires_in)
    if student_number:
        message.set_extra_claims(
            {"https://purl.imsglobal.org/spec/lti/claim/lis": {"person_sourcedid": student_number}}
        )
    if extra:
        message.set_extra_claims(extra)
    data: dict[str, Any] = message.lti_launch()
    return data


@contextmanager
def jwks_server(platforms: list[Platform], hits: list[str] | None = None) -> Iterator[str]:
    """The platforms' key sets on loopback (read at each request: a test may rotate them), as their JWKS URL;
    yields the URL. Each request's path is appended to `hits`."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if hits is not None:
                hits.append(self.path)
            keys = [key for p in platforms for key in p.get_registration().get_jwks()]
            body = json.dumps({"keys": keys}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks"
    finally:
        server.shutdown()
        server.server_close()
