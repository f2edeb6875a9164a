"""OpenID Connect relying party (SURFconext, eduID, any certified issuer): configuration, discovery, the
authorization code flow with PKCE (Authlib) and the ID token's verification (joserfc, Authlib's JOSE library).

What a verified sign-in means for our accounts (linking, refusals) is in `app.accounts.sso_link`.
"""

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from pydantic import BaseModel, ValidationError

from app.config import Settings
from app.errors import DomainError, NotFound
from app.i18n import N_

# Asymmetric only: `none` and HMAC (keyed with the public client secret's holder) are never accepted.
ALGORITHMS = ["RS256", "PS256", "ES256"]
LEEWAY_SECONDS = 60
HTTP_TIMEOUT = 10
METADATA_SECONDS = 3600

# The claim each of our fields is read from, unless a provider's `claims` maps it otherwise.
DEFAULT_CLAIMS = {
    "institution": "schac_home_organization",
    "affiliation": "eduperson_affiliation",
    "principal_name": "eduperson_principal_name",
    "student_number": "schac_personal_unique_code",
    "name": "name",
    "email": "email",
}


class SsoRefused(DomainError):
    """A sign-in through the school's account that we refuse: the person sees why, and no session starts."""

    status_code = 403


class ProviderUnavailable(DomainError):
    status_code = 503
    default_message = N_("De inlogdienst van uw instelling is nu niet bereikbaar. Probeer het later opnieuw.")


REFUSED = N_("Inloggen met uw instellingsaccount is niet gelukt. Probeer het opnieuw vanaf de inlogpagina.")


class _ProviderSetting(BaseModel):
    name: str
    display_name: str
    issuer: str
    client_id: str
    client_secret: str
    scopes: list[str] = ["openid", "profile", "email"]
    claims: dict[str, str] = {}


@dataclass(frozen=True)
class Provider:
    name: str
    display_name: str
    issuer: str
    client_id: str
    client_secret: str
    scopes: tuple[str, ...]
    claims: dict[str, str] = field(hash=False)


@dataclass(frozen=True)
class Claims:
    """What we read from a verified sign-in, under our own names."""

    issuer: str
    sub: str
    institution: str | None
    affiliation: str | None
    principal_name: str | None
    student_number: str | None
    name: str | None
    email: str | None


@lru_cache(maxsize=8)
def _parse(raw: str) -> dict[str, Provider]:
    if not raw.strip():
        return {}
    try:
        items = [_ProviderSetting.model_validate(item) for item in json.loads(raw)]
    except (ValueError, TypeError, ValidationError) as exc:
        raise ValueError(f"OIDC_PROVIDERS is geen geldige JSON-lijst van providers: {exc}") from exc
    found: dict[str, Provider] = {}
    for item in items:
        if not item.name.isidentifier() or item.name in found:
            raise ValueError(f"OIDC_PROVIDERS: naam {item.name!r} is ongeldig of dubbel")
        scopes = tuple(dict.fromkeys(["openid", *item.scopes]))
        found[item.name] = Provider(
            name=item.name,
            display_name=item.display_name,
            issuer=item.issuer.rstrip("/"),
            client_id=item.client_id,
            client_secret=item.client_secret,
            scopes=scopes,
            claims={**DEFAULT_CLAIMS, **item.claims},
        )
    return found


def providers(settings: Settings) -> dict[str, Provider]:
    """The configured issuers, by name; empty when SSO is off."""
    return _parse(settings.oidc_providers)


def provider(settings: Settings, name: str) -> Provider:
    found = providers(settings).get(name)
    if found is None:
        raise NotFound()
    return found


def redirect_uri(settings: Settings, provider: Provider) -> str:
    return f"{settings.base_url.rstrip('/')}/login/sso/{provider.name}/callback"


# --- discovery and keys, per process ---------------------------------------------------------------------------

_lock = threading.Lock()
_metadata: dict[str, tuple[float, dict[str, Any]]] = {}
_keys: dict[str, KeySet] = {}


def _get_json(url: str) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=HTTP_TIMEOUT)
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable() from exc
    if not isinstance(data, dict):
        raise ProviderUnavailable()
    return data


def metadata(provider: Provider) -> dict[str, Any]:
    """The issuer's /.well-known/openid-configuration, kept an hour; it must name the configured issuer."""
    with _lock:
        cached = _metadata.get(provider.issuer)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    data = _get_json(f"{provider.issuer}/.well-known/openid-configuration")
    if str(data.get("issuer", "")).rstrip("/") != provider.issuer or "jwks_uri" not in data:
        raise ProviderUnavailable()
    with _lock:
        _metadata[provider.issuer] = (time.monotonic() + METADATA_SECONDS, data)
    return data


def issuer_keys(provider: Provider, *, refresh: bool = False) -> KeySet:
    """The issuer's JWKS; fetched again when a token names a key we do not know (the issuer rotated its keys)."""
    with _lock:
        cached = _keys.get(provider.issuer)
    if cached is not None and not refresh:
        return cached
    keys = KeySet.import_key_set(_get_json(metadata(provider)["jwks_uri"]))  # type: ignore[arg-type]
    with _lock:
        _keys[provider.issuer] = keys
    return keys


# --- the flow ---------------------------------------------------------------------------------------------------


def _client(provider: Provider, settings: Settings) -> OAuth2Session:
    return OAuth2Session(
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        scope=" ".join(provider.scopes),
        redirect_uri=redirect_uri(settings, provider),
        code_challenge_method="S256",
    )


def authorization_url(provider: Provider, *, settings: Settings, state: str, nonce: str, code_verifier: str) -> str:
    with _client(provider, settings) as client:
        url, _ = client.create_authorization_url(
            metadata(provider)["authorization_endpoint"], state=state, nonce=nonce, code_verifier=code_verifier
        )
    return str(url)


def verify_id_token(
    id_token: str,
    *,
    provider: Provider,
    nonce: str,
    keys: Callable[[bool], KeySet] | None = None,
) -> dict[str, Any]:
    """The ID token's claims, after checking its signature against the issuer's keys and iss, aud, exp, iat,
    sub and nonce. `keys(refresh)` gives the key set (tests hand in their own)."""
    get_keys = keys or (lambda refresh: issuer_keys(provider, refresh=refresh))
    try:
        try:
            token = jwt.decode(id_token, get_keys(False), algorithms=ALGORITHMS)
        except InvalidKeyIdError:
            token = jwt.decode(id_token, get_keys(True), algorithms=ALGORITHMS)
        jwt.JWTClaimsRegistry(
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": provider.issuer},
            aud={"essential": True, "value": provider.client_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(token.claims)
    except (JoseError, ValueError) as exc:
        raise SsoRefused(REFUSED) from exc
    claims = token.claims
    audience = claims["aud"]
    # Several audiences: the token must say it was issued to us (OpenID Connect Core 3.1.3.7).
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != provider.client_id:
        raise SsoRefused(REFUSED)
    if time.time() < float(claims["iat"]) - LEEWAY_SECONDS:
        raise SsoRefused(REFUSED)
    return claims


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return " ".join(str(v) for v in value) or None
    return str(value) or None


def _student_number(value: object) -> str | None:
    """SURFconext sends urn:schac:personalUniqueCode:nl:local:<school>:studentid:<number>; keep the number."""
    text = _text(value.split()[0] if isinstance(value, str) and value.split() else value)
    return text.rsplit(":", 1)[-1] if text else None


def signed_in_claims(provider: Provider, *, settings: Settings, code: str, code_verifier: str, nonce: str) -> Claims:
    """Trade the code for tokens (with the PKCE verifier), verify the ID token, and read the user info."""
    endpoints = metadata(provider)
    with _client(provider, settings) as client:
        try:
            token = client.fetch_token(
                endpoints["token_endpoint"], code=code, code_verifier=code_verifier, timeout=HTTP_TIMEOUT
            )
        except Exception as exc:  # a refused or replayed code is the provider's answer, not our crash
            raise SsoRefused(REFUSED) from exc
        if "id_token" not in token:
            raise SsoRefused(REFUSED)
        claims = dict(verify_id_token(token["id_token"], provider=provider, nonce=nonce))
        if endpoints.get("userinfo_endpoint"):
            try:
                info = client.get(endpoints["userinfo_endpoint"], timeout=HTTP_TIMEOUT).json()
            except (requests.RequestException, ValueError) as exc:
                raise ProviderUnavailable() from exc
            # User info about another subject is not about this sign-in (OpenID Connect Core 5.3.2).
            if not isinstance(info, dict) or info.get("sub") != claims["sub"]:
                raise SsoRefused(REFUSED)
            claims = {**info, **claims}
    names = provider.claims
    return Claims(
        issuer=provider.issuer,
        sub=str(claims["sub"]),
        institution=_text(claims.get(names["institution"])),
        affiliation=_text(claims.get(names["affiliation"])),
        principal_name=_text(claims.get(names["principal_name"])),
        student_number=_student_number(claims.get(names["student_number"])),
        name=_text(claims.get(names["name"])),
        email=_text(claims.get(names["email"])),
    )
