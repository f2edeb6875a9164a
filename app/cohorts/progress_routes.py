"""A cohort's progress: the overview (heatmap, filters in the URL), its CSV and Excel exports, the bottlenecks."""

import functools
from collections.abc import Callable
from dataclasses import replace
from urllib.parse import urlencode

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.responses import FileResponse, Response, StreamingResponse
from markupsafe import Markup
from sqlmodel import Session

from app.accounts.permissions import Permission
from app.cohorts import chart, service
from app.cohorts.models import Cohort
from app.dashboard import cohort_export as export
from app.dashboard import cohort_overview as overview_service
from app.db import DB, parse_row_id
from app.deps import cohort_in_scope, registry_of
from app.evidence.filetypes import content_disposition
from app.evidence.status import STATUS_LABELS
from app.framework.schema import Framework
from app.i18n import get_locale, gettext
from app.web import render

router = APIRouter()


def overview_filters(request: Request) -> overview_service.Filters:
    """Filters live in the URL, so a view can be bookmarked and shared; nonsense values are ignored."""
    params = request.query_params

    def number(name: str) -> int | None:
        value = params.get(name, "")
        return parse_row_id(value)

    sort = params.get("sorteer", "gereedheid")
    status = params.get("status") or None
    # `weergave=groepen`: the older spelling of the group level, kept for bookmarks.
    groups = params.get("niveau") == "groep" or params.get("weergave") == "groepen"
    return overview_service.Filters(
        supervisor_id=number("praktijkbegeleider"),
        assessor_id=number("beoordelaar"),
        workplace=(params.get("werkplek") or None),
        status=status if status in HEATMAP_SYMBOLS else None,  # every status as shown, onvoldoende included
        search=(params.get("zoek") or "").strip()[:100] or None,
        sort=sort if sort in overview_service.SORTS else "gereedheid",
        page=number("pagina") or 1,
        level="groep" if groups else "eindterm",
    )


def cohort_view(
    request: Request,
    db: Session,
    cohort: Cohort,
    *,
    filters: overview_service.Filters,
    paginate: bool = True,
    page_size: int = overview_service.PAGE_SIZE,
    extras: bool = True,
) -> overview_service.Overview:
    """The overview of a cohort in its own framework version (page, exports, bottlenecks and API share it)."""
    framework = service.framework_of(registry_of(request), cohort)
    return overview_service.overview(
        db, cohort=cohort, framework=framework, filters=filters, paginate=paginate, page_size=page_size, extras=extras
    )


HEATMAP_SYMBOLS = {
    "leeg": "·",
    "concept": "C",
    "ter_aftekening": "W",
    "terug": "T",
    "afgetekend": "A",
    "beoordeeld": "B",
    "onvoldoende": "O",
    "niet_mogelijk": "N",
}


@functools.lru_cache(maxsize=64)
def _heatmap_cells(codes: tuple[str, ...], locale: str) -> dict[tuple[str, str], str]:
    """Every cell a heatmap of these eindtermen can show, in this locale: made once, not per page."""
    del locale  # part of the cache key; gettext reads the locale render() has set
    labels = {status: gettext(label) for status, label in STATUS_LABELS.items()}
    return {(code, status): _heatmap_cell(code, status, labels[status]) for code in codes for status in labels}


def _heatmap_cell(code: str, status: str, label: str) -> str:
    symbol = HEATMAP_SYMBOLS.get(status, "?")
    html = Markup('<td class="cell status-{status}" title="{code}: {label}">{symbol}</td>')
    return str(html.format(status=status, code=code, label=label, symbol=symbol))


def heatmap_row(framework: Framework) -> Callable[[dict[str, str]], Markup]:
    """The heatmap cells of one student as one string: 100 rows × 56 cells in a template loop cost more than the
    queries. The cells are escaped once, when `_heatmap_cells` makes them."""
    codes = tuple(e.code for e in framework.eindtermen)

    def row(statuses: dict[str, str]) -> Markup:
        cells = _heatmap_cells(codes, get_locale())  # at render time: render() has set the locale
        html = [
            cells.get((code, status)) or _heatmap_cell(code, status, status)
            for code in codes
            for status in (statuses.get(code, "leeg"),)
        ]
        return Markup("".join(html))  # noqa: S704 - every piece was escaped by Markup.format above

    return row


@router.get("/cohorten/{cohort_id}/overzicht")
def cohort_overview(
    request: Request,
    db: Session = DB,
    cohort: Cohort = Depends(cohort_in_scope(Permission.cohort_view)),
) -> Response:
    filters = overview_filters(request)
    view = cohort_view(request, db, cohort, filters=filters)
    return render(
        request,
        "cohorts/overview.html",
        {
            "view": view,
            "heatmap_row": heatmap_row(view.framework),
            "statuses": list(HEATMAP_SYMBOLS),
            "legend": list(HEATMAP_SYMBOLS),
            "symbols": HEATMAP_SYMBOLS,
            "query": urlencode(filters.query(pagina=None)),
            "export_query": urlencode(filters.query(pagina=None, niveau=None)),
        },
    )


def _export_filters(request: Request) -> overview_service.Filters:
    """Exports hold every filtered student with every eindterm's status, whatever level the page shows."""
    return replace(overview_filters(request), level="eindterm", page=1)


@router.get("/cohorten/{cohort_id}/overzicht.csv")
def cohort_overview_csv(
    request: Request,
    db: Session = DB,
    cohort: Cohort = Depends(cohort_in_scope(Permission.cohort_view)),
) -> Response:
    view = cohort_view(request, db, cohort, filters=_export_filters(request), paginate=False, extras=False)
    headers = {"Content-Disposition": content_disposition(f"{cohort.name}.csv")}
    return StreamingResponse(export.csv_chunks(view), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/cohorten/{cohort_id}/overzicht.xlsx")
def cohort_overview_xlsx(
    request: Request,
    background: BackgroundTasks,
    db: Session = DB,
    cohort: Cohort = Depends(cohort_in_scope(Permission.cohort_view)),
) -> Response:
    view = cohort_view(request, db, cohort, filters=_export_filters(request), paginate=False, extras=False)
    path = export.xlsx_file(view)
    background.add_task(path.unlink, missing_ok=True)
    return FileResponse(
        path,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": content_disposition(f"{cohort.name}.xlsx")},
    )


@router.get("/cohorten/{cohort_id}/knelpunten")
def cohort_bottlenecks(
    request: Request,
    db: Session = DB,
    cohort: Cohort = Depends(cohort_in_scope(Permission.cohort_view)),
) -> Response:
    framework = service.framework_of(registry_of(request), cohort)
    found = overview_service.bottlenecks(db, cohort=cohort, framework=framework)
    weeks = overview_service.weekly_progress(db, cohort=cohort)
    return render(
        request,
        "cohorts/bottlenecks.html",
        {
            "cohort": cohort,
            "b": found,
            "framework": framework,
            "gaps": overview_service.self_assessment_gaps(db, cohort=cohort, framework=framework),
            "chart": chart.progress_chart(
                weeks, total=found.total_students * len(framework.eindtermen), planned_end=cohort.planned_end_date
            ),
        },
    )
