"""The only writer that may change append-only rows refuses anything outside its lists (docs/adr/0002)."""

import pytest
from sqlmodel import Session, col

from app.assessment.models import Assessment
from app.audit.models import AuditEvent
from app.privacy.redaction import delete_counted, redact
from app.signoff.models import SignOff


def test_a_decision_itself_cannot_be_redacted(db: Session) -> None:
    # `comment` may be blanked on request; what was decided may not.
    with pytest.raises(ValueError, match="only"):
        redact(db, SignOff, where=col(SignOff.id) > 0, values={"decision": "akkoord"})
    with pytest.raises(ValueError, match="only"):
        redact(db, Assessment, where=col(Assessment.id) > 0, values={"score": 1})


def test_a_table_not_listed_cannot_be_redacted_or_deleted(db: Session) -> None:
    with pytest.raises(ValueError, match="not a redactable"):
        redact(db, AuditEvent, where=col(AuditEvent.id) > 0, values={"action": "x"})
    with pytest.raises(ValueError, match="may not be deleted"):
        delete_counted(db, SignOff, where=col(SignOff.id) > 0)
    with pytest.raises(ValueError, match="may not be deleted"):
        delete_counted(db, AuditEvent, where=col(AuditEvent.id) > 0)
