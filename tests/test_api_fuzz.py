"""API fuzzing: schemathesis generates requests from our own `/openapi.json` and sends them in-process to the
JSON API (/api/v1), once per role with that role's session. Every answer must be free of server errors (5xx)
and match the document: a documented status code, the documented content type and the documented body schema.

Path parameters point at real objects part of the time (the world's students and cohorts, an evidence item with
a file, open submissions), so the fuzzer also gets past the 404 of a random id and into the handlers.
Generation is derandomized, so CI sees the same cases on every run; FUZZ_RANDOM=1 explores new ones and
FUZZ_SCALE=3 runs three times as many.
"""

import os
import time
from collections import Counter
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import Browser, World, csrf_token, login
from tests.test_evidence import PDF, form_fields

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
ROLES = {  # role → the World's person who has it
    "student": "student",
    "praktijkbegeleider": "supervisor",
    "beoordelaar": "assessor",
    "opleidingscoordinator": "coordinator",
    "beheerder": "admin",
}
TOTAL_CASES = 1000  # generated cases across the roles, at least; each role runs its share
# Hypothesis stops early where the input space is small (no parameters: one case), so the budget goes to the rest.
SCALE = float(os.environ.get("FUZZ_SCALE", "1"))
EXAMPLES = {GenerationMode.POSITIVE: round(24 * SCALE), GenerationMode.NEGATIVE: round(12 * SCALE)}

Known = dict[str, list[Any]]  # path parameter → ids of real objects


@pytest.fixture
def known(app: FastAPI, world: World, client_factory: Any) -> Known:
    """Real objects for the path parameters: a student's evidence item with a file, submitted on two eindtermen."""
    student = client_factory()
    login(student, world.student.email)
    created = student.post(
        "/api/v1/evidence",
        data=form_fields(),
        files=[("files", ("verslag.pdf", PDF, "application/pdf"))],
        headers={"X-CSRF-Token": csrf_token(student, app)},
    )
    assert created.status_code == 201, created.text
    evidence = created.json()
    submitted = student.post("/api/v1/submissions", json={"eindtermen": ["IA-a", "IA-c"]})
    assert submitted.status_code == 201, submitted.text
    exported = student.post("/portfolio/export")  # a privacy export of the student's own data
    assert exported.status_code == 303, exported.text
    return {
        "student_id": [world.student.id, world.other_student.id],
        "cohort_id": [world.cohort.id, world.other_cohort.id],
        "evidence_id": [evidence["id"]],
        "blob_id": [f["id"] for f in evidence["versions"][0]["files"]],
        "submission_id": [s["id"] for s in submitted.json()["items"]],
        "code": ["IA-a", "IA-b", "IA-c"],
        "framework_id": ["bvjn-eindtermen"],
        "version": ["2012"],
        "export_id": [int(exported.headers["location"].rsplit("/", 1)[1])],
    }


def signed_in(app: FastAPI, client: Browser, world: World, role: str) -> dict[str, dict[str, str]]:
    """The session cookie, the CSRF cookie and its token, as `case.call` takes them."""
    login(client, getattr(world, ROLES[role]).email)
    names = (app.state.settings.session_cookie, "pf_csrf")
    return {
        "cookies": {name: client.cookies[name] for name in names},
        "headers": {"X-CSRF-Token": csrf_token(client, app)},
    }


def api_schema(app: FastAPI) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", app).include(path_regex="^/api/v1/")


def negatable(operation: Any) -> bool:
    """Whether any input can be invalid: a body, or a parameter that is more than a free-form string."""
    free_form = {"type", "title", "description"}
    return len(operation.body) > 0 or any(
        p.definition["schema"].get("type") != "string" or set(p.definition["schema"]) - free_form
        for p in operation.iter_parameters()
    )


@pytest.mark.parametrize("role", ROLES)
def test_api_fuzz(role: str, app: FastAPI, world: World, known: Known, client: Browser) -> None:
    session = signed_in(app, client, world, role)
    executed: Counter[str] = Counter()
    statuses: Counter[tuple[str, int]] = Counter()
    failures: list[str] = []
    started = time.monotonic()
    for result in api_schema(app).get_all_operations():
        operation = result.ok()
        for mode, examples in EXAMPLES.items():
            if mode is GenerationMode.NEGATIVE and not negatable(operation):
                continue
            # Half from known ids (generated where none is known), half entirely generated.
            path_ids = st.fixed_dictionaries(
                {p.name: st.sampled_from(known[p.name]) for p in operation.path_parameters if p.name in known}
            )
            pinned = path_ids.flatmap(
                lambda ids, mode=mode: operation.as_strategy(generation_mode=mode, path_parameters=ids or None)
            )

            @settings(
                max_examples=examples,
                deadline=None,
                database=None,
                derandomize=not os.environ.get("FUZZ_RANDOM"),
                phases=[Phase.explicit, Phase.generate, Phase.shrink],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=st.one_of(pinned, operation.as_strategy(generation_mode=mode)))
            def run(case: Any) -> None:
                response = case.call(**session)
                executed[operation.label] += 1
                statuses[(operation.label, response.status_code)] += 1
                case.validate_response(response, checks=CHECKS, headers=session["headers"])

            try:
                run()
            except Unsatisfiable:  # pragma: no cover - negatable() should have said so
                assert mode is GenerationMode.NEGATIVE, f"{operation.label}: no valid request can be generated"
            except (Exception, FailureGroup) as exc:
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    total = sum(executed.values())
    print(f"\n{role}: {total} generated cases in {time.monotonic() - started:.1f}s")
    for label, count in sorted(executed.items()):
        answers = {s: n for (op, s), n in sorted(statuses.items()) if op == label}
        print(f"  {count:4d}  {label}  {answers}")
    assert not failures, "\n\n".join(failures)
    assert total >= TOTAL_CASES / len(ROLES), f"{role}: only {total} cases"


# --- hand-picked hostile values the generator rarely or never produces -----------------------------------------

HOSTILE_INTS: list[Any] = [0, -1, 2**31, 2**63, 2**70, "9" * 5000, "1.5", "\x00"]
HOSTILE_STRINGS: list[Any] = ["\x00", "a\x00b", "%", "../x", "é" * 300, "' OR 1=1 --"]
JSON_BODIES: dict[str, dict[str, Any]] = {
    "POST /api/v1/submissions": {"eindtermen": ["IA-b"], "message": "graag"},
    "POST /api/v1/submissions/{submission_id}/decision": {"decision": "terug", "comment": "meer diepgang"},
    "POST /api/v1/students/{student_id}/eindtermen/{code}/assessments": {"score": "voldoende", "feedback": "goed"},
}
FORM_VARIANTS: dict[str, list[Any]] = {
    "title": HOSTILE_STRINGS,
    "reflection": HOSTILE_STRINGS,
    "links": [*HOSTILE_STRINGS, "https://" + "a" * 5000],
    "eindterm": [[s] for s in HOSTILE_STRINGS],
    "onderbouwing_IA-a": HOSTILE_STRINGS,
    "keep_file": [["9" * 5000], ["-1"], ["\x00"], ["٣"]],
    "activity_date": ["\x00", "99999-01-01", "2026-02-30"],
}


def hostile_cases(operation: Any, known: Known) -> list[Any]:
    """The operation with valid inputs, then one input at a time replaced by something hostile."""
    path = {p.name: known[p.name][0] for p in operation.path_parameters}
    body: Any = JSON_BODIES.get(operation.label)
    media_type = None
    if len(operation.body) and operation.body[0].media_type == "multipart/form-data":
        body, media_type = form_fields(), "multipart/form-data"

    def case(**changes: Any) -> Any:
        return operation.Case(
            path_parameters=changes.get("path", path),
            query=changes.get("query"),
            body=changes.get("body", body) if body is not None else schemathesis.core.NOT_SET,
            media_type=media_type,
        )

    cases = [case()]
    for param in operation.iter_parameters():
        values = HOSTILE_INTS if param.definition["schema"].get("type") == "integer" else HOSTILE_STRINGS
        for value in values:
            if param.location.value == "path":
                cases.append(case(path={**path, param.name: value}))
            else:
                cases.append(case(query={param.name: value}))
    if media_type:
        cases += [case(body={**body, field: v}) for field, values in FORM_VARIANTS.items() for v in values]
    elif body is not None:
        for field, valid in body.items():
            cases += [case(body={**body, field: [v] if isinstance(valid, list) else v}) for v in HOSTILE_STRINGS]
    return cases


@pytest.mark.parametrize("role", ROLES)
def test_api_hostile_values(role: str, app: FastAPI, world: World, known: Known, client: Browser) -> None:
    """NUL characters (PostgreSQL text cannot hold them), numbers past any column, absurdly long strings:
    refused with a documented 4xx or accepted, never a 500."""
    session = signed_in(app, client, world, role)
    failures, count = [], 0
    for result in api_schema(app).get_all_operations():
        for case in hostile_cases(result.ok(), known):
            count += 1
            try:
                case.call_and_validate(checks=CHECKS, **session)
            except (Exception, FailureGroup) as exc:
                failures.append(f"{case.operation.label}: {exc}")
    print(f"\n{role}: {count} hand-picked cases")
    assert not failures, "\n\n".join(failures)
    assert count > 200
