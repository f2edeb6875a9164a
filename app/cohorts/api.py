"""Cohorts as JSON under /api/v1 (same services as the HTML screens)."""

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlmodel import Session

from app.accounts.permissions import Permission
from app.accounts.service import Actor
from app.cohorts import service
from app.cohorts.models import Cohort
from app.cohorts.progress_routes import cohort_view, overview_filters
from app.dashboard import cohort_list
from app.dashboard import cohort_overview as overview
from app.db import DB
from app.deps import cohort_in_scope
from app.errors import ERROR_RESPONSES
from app.evidence.models import SlotStatus
from app.evidence.status import STATUS_LABELS
from app.web import require

router = APIRouter(tags=["cohorten"], responses=ERROR_RESPONSES)


def _cohort_json(cohort: Cohort) -> dict[str, Any]:
    return {
        "id": cohort.id,
        "name": cohort.name,
        "programme_id": cohort.programme_id,
        "start_date": cohort.start_date.isoformat(),
        "planned_end_date": cohort.planned_end_date.isoformat() if cohort.planned_end_date else None,
        "framework": {"id": cohort.framework_id, "version": cohort.framework_version},
    }


@router.get("/cohorts")
def cohorts(db: Session = DB, actor: Actor = Depends(require(Permission.cohort_view))) -> dict[str, Any]:
    return {
        "items": [
            {**_cohort_json(s.cohort), "programme": s.programme.name, "student_count": s.student_count}
            for s in cohort_list.list_cohorts(db, actor=actor)
        ]
    }


@router.get("/cohorts/{cohort_id}")
def cohort(db: Session = DB, cohort: Cohort = Depends(cohort_in_scope(Permission.cohort_view))) -> dict[str, Any]:
    members = service.cohort_members(db, cohort_id=cohort.id or 0)
    return {
        **_cohort_json(cohort),
        "students": [
            {
                "id": m.student.id,
                "name": m.student.name,
                "student_number": m.student.student_number,
                "workplace": m.enrolment.workplace,
                "supervisor_id": m.enrolment.supervisor_id,
                "assessor_id": m.enrolment.assessor_id,
            }
            for m in members
        ],
    }


# The overview's filters, read from the query by overview_filters (shared with the page); nonsense is ignored.
FILTER_PARAMETERS: dict[str, Any] = {
    "parameters": [
        {"name": "praktijkbegeleider", "in": "query", "schema": {"type": "integer"}},
        {"name": "beoordelaar", "in": "query", "schema": {"type": "integer"}},
        {"name": "werkplek", "in": "query", "schema": {"type": "string"}},
        {"name": "status", "in": "query", "schema": {"type": "string", "enum": [s.value for s in SlotStatus]}},
        {"name": "zoek", "in": "query", "schema": {"type": "string"}, "description": "Naam of studentnummer."},
        {"name": "sorteer", "in": "query", "schema": {"type": "string", "enum": list(overview.SORTS)}},
        {
            "name": "niveau",
            "in": "query",
            "schema": {"type": "string", "enum": list(overview.LEVELS)},
            "description": "groep: per student voldaan/totaal per groep van eindtermen, zonder de statussen.",
        },
    ]
}


@router.get("/cohorts/{cohort_id}/progress", openapi_extra=FILTER_PARAMETERS)
def cohort_progress(
    request: Request,
    page: int = 1,
    size: int = 100,
    db: Session = DB,
    cohort: Cohort = Depends(cohort_in_scope(Permission.cohort_view)),
) -> dict[str, Any]:
    """The overview as JSON, paged by the database: per student the number met, met/total per group, and
    (unless `niveau=groep`) the status of every eindterm."""
    size = min(max(size, 1), 500)
    page = min(max(page, 1), 2**31 // size)
    filters = replace(overview_filters(request), page=page)
    view = cohort_view(request, db, cohort, filters=filters, page_size=size, extras=False)
    return {
        "cohort": _cohort_json(cohort),
        "page": page,
        "size": size,
        "total": view.total_students,
        "items": [
            {
                "student": {"id": r.student.id, "name": r.student.name, "student_number": r.student.student_number},
                "met": r.met,
                "total": len(view.framework.eindtermen),
                "groups": [{"code": code, "met": met, "total": total} for code, met, total in r.groups],
                **(
                    {}
                    if view.filters.groups_only
                    else {
                        "statuses": r.statuses,  # codes; "onvoldoende": beoordeeld below the minimum score
                        "status_labels": {code: STATUS_LABELS.get(s, s) for code, s in r.statuses.items()},
                    }
                ),
            }
            for r in view.rows
        ],
    }
