"""The tool's own signing keys: generated here, stored encrypted, published at /lti/jwks, rotated by the beheerder.

A rotation adds a new key, which signs from then on; the old one stays published until the beheerder retires it,
so a platform that cached our key set keeps verifying what we signed before (two keys live during rotation)."""

import base64
import os
import secrets
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from joserfc.jwk import RSAKey
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.db import utcnow
from app.errors import DomainError, NotFound
from app.i18n import N_
from app.lti.models import LtiToolKey

ALGORITHM = "RS256"
KEY_BITS = 2048


class LastKey(DomainError):
    status_code = 409
    default_message = N_("De nieuwste sleutel kan niet worden ingetrokken: het portfolio ondertekent ermee.")


def _aead(secret_key: str) -> AESGCM:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"lti-key").derive(secret_key.encode())
    return AESGCM(derived)


def encrypt(pem: bytes, *, secret_key: str) -> str:
    nonce = os.urandom(12)
    return base64.b64encode(nonce + _aead(secret_key).encrypt(nonce, pem, b"lti-tool-key")).decode()


def decrypt(stored: str, *, secret_key: str) -> bytes:
    raw = base64.b64decode(stored)
    return _aead(secret_key).decrypt(raw[:12], raw[12:], b"lti-tool-key")


def live_keys(session: Session) -> list[LtiToolKey]:
    """The keys not retired, newest first: the first one signs."""
    return list(
        session.exec(
            select(LtiToolKey)
            .where(col(LtiToolKey.retired_at).is_(None))
            .order_by(col(LtiToolKey.created_at).desc(), col(LtiToolKey.id).desc())
        ).all()
    )


def add_key(session: Session, *, secret_key: str, actor_id: int | None) -> LtiToolKey:
    """A new signing key (the first one, or a rotation): it signs from now on, the older ones stay published."""
    kid = secrets.token_urlsafe(16)
    key = RSAKey.generate_key(KEY_BITS, parameters={"kid": kid, "use": "sig", "alg": ALGORITHM}, private=True)
    row = LtiToolKey(kid=kid, private_key_encrypted=encrypt(key.as_pem(private=True), secret_key=secret_key))
    session.add(row)
    session.flush()
    audit.record(session, actor_id=actor_id, action="lti.key_added", object_type="lti_tool_key", object_id=row.id)
    return row


def ensure_key(session: Session, *, secret_key: str) -> LtiToolKey:
    keys = live_keys(session)
    return keys[0] if keys else add_key(session, secret_key=secret_key, actor_id=None)


def retire_key(session: Session, *, key_id: int, actor_id: int) -> LtiToolKey:
    """Stop publishing an older key. The newest live key cannot be retired: it is the one that signs."""
    row = session.get(LtiToolKey, key_id)
    if row is None or row.retired_at is not None:
        raise NotFound()
    keys = live_keys(session)
    if keys and keys[0].id == row.id:
        raise LastKey()
    row.retired_at = utcnow()
    session.add(row)
    audit.record(session, actor_id=actor_id, action="lti.key_retired", object_type="lti_tool_key", object_id=row.id)
    session.flush()
    return row


def public_jwk(row: LtiToolKey, *, secret_key: str) -> dict[str, Any]:
    key = RSAKey.import_key(decrypt(row.private_key_encrypted, secret_key=secret_key))
    public = key.as_dict(private=False)
    return {**public, "kid": row.kid, "use": "sig", "alg": ALGORITHM}


def jwks(session: Session, *, secret_key: str) -> dict[str, list[dict[str, Any]]]:
    """The published key set: every live key (a first one is made when there is none)."""
    ensure_key(session, secret_key=secret_key)
    return {"keys": [public_jwk(row, secret_key=secret_key) for row in live_keys(session)]}


def signing_key(session: Session, *, secret_key: str) -> tuple[str, RSAKey]:
    """The kid and private key the tool signs with now (Deep Linking responses, client assertions)."""
    row = ensure_key(session, secret_key=secret_key)
    return row.kid, RSAKey.import_key(decrypt(row.private_key_encrypted, secret_key=secret_key))
