"""Every route × every actor against the role→permission table and the object scopes.

A route that declares no permission (neither `require(...)` nor `public`) fails this test, so a new
route cannot slip in unprotected. Denied means: anonymous → login page (HTML) or 401 (API);
signed in → 404 (what you may not see does not exist for you).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlmodel import Session

from app.accounts import service as accounts
from app.accounts.models import Role, User
from app.accounts.permissions import ROLE_PERMISSIONS, Permission
from app.lti import keys as lti_keys
from app.web import CSRF_COOKIE
from tests.conftest import Browser, World, csrf_token
from tests.lti import registered_platform


@dataclass(frozen=True)
class RouteInfo:
    path: str
    dependant: object


def declared_permission(route: RouteInfo) -> str | None:
    found: list[str] = []

    def walk(dependant) -> None:  # type: ignore[no-untyped-def]
        for dep in dependant.dependencies:
            marker = getattr(dep.call, "__permission__", None)
            if marker is not None:
                found.append(str(marker))
            walk(dep)

    walk(route.dependant)
    if not found:
        return None
    assert len(set(found)) == 1, f"{route.path} declares several permissions: {found}"
    return found[0]


def all_routes(app: FastAPI) -> list[tuple[str, RouteInfo]]:
    pairs = []
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # pragma: no cover
        contexts = [r for r in app.routes if isinstance(r, APIRoute)]
        return [(m, RouteInfo(r.path, r.dependant)) for r in contexts for m in sorted(r.methods - {"HEAD"})]
    for ctx in iter_route_contexts(app.routes):
        if isinstance(ctx.original_route, APIRoute):
            for method in sorted(set(ctx.methods or ()) - {"HEAD"}):
                pairs.append((method, RouteInfo(ctx.path, ctx.dependant)))
    assert len(pairs) > 20, "route discovery found too few routes: the walk is broken"
    return pairs


def test_every_route_declares_a_permission(app: FastAPI) -> None:
    missing = [f"{m} {r.path}" for m, r in all_routes(app) if declared_permission(r) is None]
    assert missing == [], f"routes without a permission in the table: {missing}"
    known = {p.value for p in Permission} | {"public"}
    unknown = [f"{m} {r.path}" for m, r in all_routes(app) if declared_permission(r) not in known]
    assert unknown == []


@dataclass
class Actor:
    label: str
    user: User | None


def actors(world: World) -> list[Actor]:
    return [
        Actor("anoniem", None),
        Actor("student", world.student),
        Actor("student van ander cohort", world.other_student),
        Actor("eigen praktijkbegeleider", world.supervisor),
        Actor("niet-gekoppelde praktijkbegeleider", world.other_supervisor),
        Actor("eigen beoordelaar", world.assessor),
        Actor("niet-gekoppelde beoordelaar", world.other_assessor),
        Actor("coördinator", world.coordinator),
        Actor("coördinator andere opleiding", world.other_coordinator),
        Actor("beheerder", world.admin),
    ]


def roles_of(world: World, user: User) -> set[Role]:
    mapping = {
        world.student.id: {Role.student},
        world.other_student.id: {Role.student},
        world.supervisor.id: {Role.praktijkbegeleider},
        world.other_supervisor.id: {Role.praktijkbegeleider},
        world.assessor.id: {Role.beoordelaar},
        world.other_assessor.id: {Role.beoordelaar},
        world.coordinator.id: {Role.coordinator},
        world.other_coordinator.id: {Role.coordinator},
        world.admin.id: {Role.beheerder},
    }
    return mapping[user.id]


def expected_allowed(world: World, route: RouteInfo, permission: str, user: User | None) -> bool:
    """What the permission table and the object scopes say, computed independently of the app."""
    if permission == "public":
        return True
    if user is None:
        return False
    granted = set().union(*(ROLE_PERMISSIONS[r] for r in roles_of(world, user)))
    if Permission(permission) not in granted:
        return False
    if "{cohort_id}" in route.path:
        return user.id == world.coordinator.id
    if "{programme_id}" in route.path:
        return user.id == world.coordinator.id  # a programme's settings belong to its own coordinator
    if "{assignment_id}" in route.path:
        return user.id == world.coordinator.id  # a voorstel is decided by the coordinator of its programme only
    if "{submission_id}" in route.path:
        return user.id == world.supervisor.id  # only the student's own praktijkbegeleider decides
    if ("{evidence_id}" in route.path or "{blob_id}" in route.path) and permission == Permission.evidence_write:
        return user.id == world.student.id  # only the owner changes a bewijsstuk
    if "{development_id}" in route.path and "{student_id}" not in route.path:
        return user.id == world.student.id  # only the owner corrects or withdraws a development log entry
    if "{export_id}" in route.path:
        return user.id == world.student.id  # an export (and its ZIP) is for whoever requested it only
    if "{entry_id}" in route.path:
        # Praktijkuren: the student's own praktijkbegeleider decides, only the student removes a concept.
        return user.id == (world.supervisor.id if permission == Permission.signoff else world.student.id)
    if "{student_id}" in route.path or "{evidence_id}" in route.path or "{blob_id}" in route.path:
        # The sample evidence is submitted, so the student's own staff may see it; drafts are tested elsewhere.
        return user.id in {world.student.id, world.supervisor.id, world.assessor.id, world.coordinator.id}
    return True


def submitted_evidence(app: FastAPI, db: Session, world: World) -> tuple[int, int]:
    """A bewijsstuk of world.student with one file, submitted for aftekening."""
    import hashlib

    from app.accounts.permissions import permissions_for
    from app.evidence import service as evidence
    from app.storage import SpooledFile

    actor = accounts.Actor(
        id=world.student.id or 0,
        name="",
        email="",
        locale="nl",
        roles=frozenset({Role.student}),
        permissions=permissions_for({Role.student}),
    )
    storage = app.state.storage
    pdf = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    path = storage.spool_dir() / "sample.part"
    path.write_bytes(pdf)
    spooled = SpooledFile(
        path=path,
        size=len(pdf),
        sha256=hashlib.sha256(pdf).hexdigest(),
        original_name="a.pdf",
        field_name="files",
        declared_content_type="application/pdf",
        head=pdf,
    )
    data = evidence.EvidenceInput(
        title="Intake",
        activity_date="2026-03-01",
        kind="verslag",
        privacy_confirmed=True,
        eindtermen={"IA-a": "Intake binnen de kaders uitgevoerd."},
    )
    version = evidence.save_evidence(
        db, actor=actor, registry=app.state.frameworks, storage=storage, data=data, files=[spooled]
    )
    evidence.submit_slots(db, actor=actor, registry=app.state.frameworks, codes=["IA-a"])
    db.commit()
    blob = evidence.files_of_versions(db, version_ids=[version.id or 0])[version.id or 0][0]
    return version.evidence_id, blob.id or 0


def pending_proposal(db: Session, world: World) -> int:
    """world.student's voorstel naming the beoordelaar (an account with another role): approving it without the
    confirmation tick is refused (422), so an allowed POST leaves the world as it was."""
    from app.accounts.permissions import permissions_for
    from app.cohorts import guidance

    actor = accounts.Actor(
        id=world.student.id or 0,
        name="",
        email="",
        locale="nl",
        roles=frozenset({Role.student}),
        permissions=permissions_for({Role.student}),
    )
    proposal = guidance.propose(
        db, actor=actor, name="Anouk", email=world.assessor.email, function="Coach", workplace="Werkbedrijf"
    )
    db.commit()
    return proposal.id or 0


def submitted_hours(app: FastAPI, db: Session, world: World) -> int:
    """A submitted praktijkuren entry of world.student: removing it is refused (409), so the world stays."""
    from app.hours import service as hours

    entry = hours.log_hours(
        db,
        student_id=world.student.id or 0,
        registry=app.state.frameworks,
        data=hours.HoursInput(work_date="2026-03-02", hours="4", activity="Coaching"),
    )
    hours.submit_week(db, student_id=world.student.id or 0, week="2026-W10", settings=None)
    db.commit()
    return entry.id or 0


def development_entry(app: FastAPI, db: Session, world: World) -> int:
    """A course with a certificate in world.student's development log (correcting it needs a valid form)."""
    import hashlib

    from app.development import service as development
    from app.storage import SpooledFile

    pdf = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    path = app.state.storage.spool_dir() / "certificaat.part"
    path.write_bytes(pdf)
    spooled = SpooledFile(
        path=path,
        size=len(pdf),
        sha256=hashlib.sha256(pdf).hexdigest(),
        original_name="certificaat.pdf",
        field_name="files",
        declared_content_type="application/pdf",
        head=pdf,
    )
    entry = development.add_entry(
        db,
        actor=accounts.actor_for(db, user_id=world.student.id or 0),
        storage=app.state.storage,
        data=development.EntryInput(title="Cursus", provider="School", entry_date="2026-01-05", hours="8"),
        files=[spooled],
    )
    db.commit()
    return entry.id or 0


def finished_export(app: FastAPI, db: Session, world: World) -> int:
    """A finished privacy export that world.student requested of their own data."""
    from app.privacy.models import PrivacyExport
    from app.storage import new_key

    key = new_key()
    path = app.state.storage.spool_dir() / "export.part"
    path.write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    app.state.storage.publish(path, key=key, content_type="application/zip")
    export = PrivacyExport(
        subject_id=world.student.id or 0,
        requested_by_id=world.student.id or 0,
        status="klaar",
        progress=100,
        zip_key=key,
    )
    db.add(export)
    db.commit()
    return export.id or 0


def finished_dossier(app: FastAPI, db: Session, world: World) -> int:
    """A built dossier for world.student, so its pages and downloads exist."""
    from app.readiness.models import Dossier
    from app.storage import new_key

    key = new_key()
    path = app.state.storage.spool_dir() / "dossier.part"
    path.write_bytes(b"%PDF-1.4\n%%EOF\n")
    app.state.storage.publish(path, key=key, content_type="application/pdf")
    dossier = Dossier(
        student_id=world.student.id or 0,
        requested_by_id=world.coordinator.id or 0,
        status="klaar",
        progress=100,
        pdf_key=key,
        zip_key=key,
    )
    db.add(dossier)
    db.commit()
    return dossier.id or 0


def fill_path(path: str, values: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in values, f"no test value for path parameter {{{name}}} in {path}: add one"
        return values[name]

    return re.sub(r"\{(\w+)(?::\w+)?\}", replace, path)


def test_every_route_for_every_actor(
    app: FastAPI, db: Session, world: World, client_factory: Callable[[], Browser]
) -> None:
    settings = app.state.settings
    reset_token = "x"
    evidence_id, blob_id = submitted_evidence(app, db, world)
    from sqlmodel import select as sql_select

    from app.evidence.models import Submission

    submission_id = db.exec(sql_select(Submission.id)).one()
    dossier_id = finished_dossier(app, db, world)
    export_id = finished_export(app, db, world)
    entry_id = submitted_hours(app, db, world)
    development_id = development_entry(app, db, world)
    assignment_id = pending_proposal(db, world)
    lti_platform_id, lti_context_id = registered_platform(db, world)

    def path_values() -> dict[str, str]:
        nonlocal reset_token
        # A fresh, valid reset token for the bystander each time (a POST may use one).
        accounts.request_password_reset(db, email=world.bystander.email, settings=settings)
        db.commit()
        from sqlmodel import col, select

        from app.notifications.models import OutboxMessage

        body = db.exec(select(OutboxMessage.body).order_by(col(OutboxMessage.id).desc())).first() or ""
        match = re.search(r"/wachtwoord-herstellen/(\S+)", body)
        reset_token = match.group(1) if match else "x"
        return {
            "student_id": str(world.student.id),
            "cohort_id": str(world.cohort.id),
            "programme_id": str(world.programme.id),
            "user_id": str(world.bystander.id),
            "staff_id": str(world.supervisor.id),  # a praktijkbegeleider of this cohort
            "framework_id": "bvjn-eindtermen",
            "version": "2012",
            "token": reset_token,
            "code": "IA-a",
            "evidence_id": str(evidence_id),
            "blob_id": str(blob_id),
            "submission_id": str(submission_id),
            "dossier_id": str(dossier_id),
            "export_id": str(export_id),
            "entry_id": str(entry_id),
            "development_id": str(development_id),
            "assignment_id": str(assignment_id),
            "part": "pdf",
            "name": "school",  # an SSO provider (not configured here: 404 for everyone)
            "platform_id": str(lti_platform_id),
            "context_id": str(lti_context_id),
            # The newest key: retiring it is refused (409), so an allowed POST changes nothing.
            "key_id": str(lti_keys.ensure_key(db, secret_key=settings.secret_key).id),
        }

    unexpected_allows: list[str] = []
    unexpected_denials: list[str] = []
    for method, route in all_routes(app):
        permission = declared_permission(route)
        assert permission is not None
        for actor in actors(world):
            client = client_factory()
            if actor.user is not None:
                token = accounts.start_session(db, user=actor.user, settings=settings, previous_token=None)
                db.commit()
                client.cookies.set(settings.session_cookie, token)
            url = fill_path(route.path, path_values())
            if method == "GET":
                response = client.get(url)
            else:
                # Allowed writes must leave the world as it was, or later actors would be judged on another world.
                form = {"supervisor_id": str(world.supervisor.id), "assessor_id": str(world.assessor.id)}
                headers = {"X-CSRF-Token": csrf_token(client, app)}
                if route.path.startswith("/api/"):
                    # A well-formed body that changes nothing even when allowed (a decision without its required
                    # comment, an unknown eindterm), so a refusal comes from authorization, not from body parsing.
                    body = {"decision": "terug", "comment": "", "eindtermen": ["XX-x"], "message": ""}
                    response = client.request(method, url, headers=headers, json=body)
                else:
                    response = client.request(method, url, headers=headers, data=form)
            allowed = expected_allowed(world, route, permission, actor.user)
            is_api = route.path.startswith("/api/")
            if actor.user is None:
                denied = (
                    response.status_code == 401
                    if is_api
                    else (response.status_code == 303 and response.headers["location"].startswith("/login"))
                )
            else:
                denied = response.status_code == 404
            where = f"{method} {route.path} as {actor.label}: {response.status_code}"
            if not allowed and not denied:
                unexpected_allows.append(where)
            if allowed and (response.status_code in {401, 403} or (denied and permission != "public")):
                unexpected_denials.append(where)
            assert response.status_code < 500, where
            client.close()
    assert unexpected_allows == []
    assert unexpected_denials == []


@pytest.mark.parametrize("path", ["/cohorten/{cohort_id}", "/api/v1/cohorts/{cohort_id}"])
def test_other_programmes_cohort_is_404_not_403(
    app: FastAPI, world: World, client_factory: Callable[[], Browser], path: str
) -> None:
    from tests.conftest import login

    client = client_factory()
    login(client, world.other_coordinator.email)
    response = client.get(path.format(cohort_id=world.cohort.id))
    assert response.status_code == 404
    assert client.cookies.get(CSRF_COOKIE)


def test_a_route_without_permission_is_reported(app: FastAPI) -> None:
    @app.get("/onbeschermd")
    def unprotected() -> dict[str, str]:
        return {}

    missing = [f"{m} {r.path}" for m, r in all_routes(app) if declared_permission(r) is None]
    assert missing == ["GET /onbeschermd"]
