"""Helpers for the LTI tests; the third-party platform is in platform.py (it needs lti1p3platform)."""

from sqlmodel import Session

from tests.conftest import World


def registered_platform(db: Session, world: World) -> tuple[int, int]:
    """An LTI platform and one of its courses without a cohort (app/lti)."""
    from app.lti import service as lti

    data = lti.PlatformInput(
        name="Brightspace",
        issuer="https://lms.example",
        client_id="tool",
        deployment_ids="1",
        auth_login_url="https://lms.example/auth",
        token_url="https://lms.example/token",
        jwks_url="https://lms.example/jwks",
        frame_origin="https://lms.example",
    )
    platform = lti.register_platform(db, data=data, actor_id=world.admin.id or 0)
    context = lti.context_of(db, platform_id=platform.id or 0, context_id="course-1", title=None)
    db.commit()
    return platform.id or 0, context.id or 0
