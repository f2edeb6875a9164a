"""An opleidingscoördinator imports people (one bad row), filters and exports the cohort heatmap, and records a
gereedheidsbesluit that a second staff member confirms."""

from pathlib import Path

from openpyxl import load_workbook

from app.config import ROOT
from app.framework.registry import load_frameworks
from tests.browser.a11y import assert_accessible
from tests.browser.conftest import LiveServer, screenshot
from tests.browser.helpers import query, sign_in, sign_out, user_id

COORDINATOR = "coordinator@demo.jobcoach.nl"
SECOND = "a.visser@demo.jobcoach.nl"  # beoordelaar of Sanne, with the right to confirm a besluit
STUDENT = "sanne@demo.jobcoach.nl"
BAD_CSV = (
    "naam;e-mail;rol;studentnummer;werkplek\n"
    "Ruben Nieuwenhuis;ruben@demo.jobcoach.nl;student;500201;Werkbedrijf Lelystad\n"
    "Zeynep Kaya;zeynep-at-example;student;500202;Hotel De Wadden\n"
)


def _make_ready(database_url: str, student_id: int) -> None:
    """The demo has nobody who meets all eindtermen: mark every slot of one student as scored 'voldoende'."""
    framework_id, version = query(
        database_url,
        "SELECT c.framework_id, c.framework_version FROM cohort c JOIN enrolment e ON e.cohort_id = c.id "
        "WHERE e.student_id = :s",
        s=student_id,
    )[0]
    framework = load_frameworks(ROOT / "eindtermen").get(framework_id, version)
    # Readiness counts a slot only when signed off under the approved assignment: a submission and a sign-off each.
    (assignment_id, supervisor_id) = query(
        database_url,
        "SELECT id, supervisor_id FROM supervisor_assignment WHERE student_id = :s AND status = 'goedgekeurd'",
        s=student_id,
    )[0]
    for eindterm in framework.eindtermen:
        params = {"s": student_id, "f": framework_id, "v": version, "c": eindterm.code, "p": supervisor_id}
        query(
            database_url,
            "INSERT INTO submission (student_id, framework_id, framework_version, eindterm_code, supervisor_id, "
            "message, version_ids, submitted_at) VALUES (:s, :f, :v, :c, :p, '', '[]', CURRENT_TIMESTAMP)",
            **params,
        )
        latest = "(SELECT max(id) FROM submission WHERE student_id = :s AND eindterm_code = :c)"
        query(
            database_url,
            "INSERT INTO sign_off (submission_id, student_id, eindterm_code, decision, comment, decided_at, "
            "decided_by_id, decided_by_name, decided_by_email, assignment_id) "
            f"VALUES ({latest}, :s, :c, 'afgetekend', '', CURRENT_TIMESTAMP, :p, 'Demo', 'demo@x.nl', :a)",
            a=assignment_id,
            **params,
        )
        query(
            database_url,
            "INSERT INTO slot (student_id, framework_id, framework_version, eindterm_code, status, evidence_count, "
            f"score, submission_id) VALUES (:s, :f, :v, :c, 'beoordeeld', 1, 'voldoende', {latest}) "
            "ON CONFLICT (student_id, framework_id, framework_version, eindterm_code) "
            f"DO UPDATE SET status = 'beoordeeld', score = 'voldoende', submission_id = {latest}",
            **params,
        )


def test_coordinator_imports_filters_exports_and_seals(
    live_server: LiveServer,
    browser,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    base = live_server.base
    student_id = user_id(live_server.database_url, STUDENT)
    _make_ready(live_server.database_url, student_id)
    csv_file = tmp_path / "nieuwe-studenten.csv"
    csv_file.write_text(BAD_CSV, encoding="utf-8")

    page = sign_in(browser, base, COORDINATOR, expect_path="/cohorten")
    assert_accessible(page, "cohorts")
    page.click("main table a:text-is('Jobcoach 2026-A')")
    page.wait_for_url(f"{base}/cohorten/1")
    assert_accessible(page, "cohort")
    students_before = page.locator("main table tbody tr").count()

    # Import with one bad row: everything is refused, and the page says which row and why.
    page.click("summary:has-text('Personen importeren (CSV)')")
    page.set_input_files("#file", str(csv_file))
    assert_accessible(page, "cohort, import open")
    page.click(".import-form button[type=submit]")
    page.wait_for_selector("#import-uitslag .notice.error")
    errors = page.locator("#import-uitslag .notice.error").inner_text()
    assert "Rij 3: e-mailadres 'zeynep-at-example' is ongeldig." in errors, errors
    assert "Rij 2" not in errors
    assert page.locator("main table tbody tr").count() == students_before
    assert "Ruben Nieuwenhuis" not in page.locator("main table").inner_text()
    assert_accessible(page, "cohort with import errors")
    assert not query(live_server.database_url, "SELECT id FROM user_account WHERE email = 'ruben@demo.jobcoach.nl'")

    # The heatmap: a filter updates the table without a reload and puts the filter in the URL.
    page.click("main a[role=button]:has-text('Voortgang van het cohort')")
    page.wait_for_url(f"{base}/cohorten/1/overzicht")
    assert_accessible(page, "heatmap")
    all_rows = page.locator("table.heatmap tbody tr").count()
    assert all_rows == students_before
    page.select_option("select[name=status]", "beoordeeld")
    page.wait_for_url(lambda url: "status=beoordeeld" in url)
    page.wait_for_function(
        "n => document.querySelectorAll('table.heatmap tbody tr').length < n", arg=all_rows, timeout=5000
    )
    names = page.locator("table.heatmap tbody th[scope=row]").all_inner_texts()
    assert "Sanne Bos" in names and 0 < len(names) < all_rows, names
    sanne = page.locator("table.heatmap tbody tr").filter(has=page.get_by_role("link", name="Sanne Bos", exact=True))
    assert sanne.locator("td.num").first.inner_text() == "56"
    assert_accessible(page, "heatmap filtered")

    # Excel export of the filtered view.
    with page.expect_download() as download_info:
        page.click("main a[download]:text-is('Excel')")
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    saved = tmp_path / "overzicht.xlsx"
    download.save_as(saved)
    sheet = load_workbook(saved, read_only=True).worksheets[0]
    table = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    header = ("Student", "Studentnummer", "Werkplek", "Praktijkbegeleider", "Beoordelaar", "Voldaan", "Totaal")
    assert table[0][:7] == header
    assert "IA-d" in table[0]
    assert sorted(str(row[0]) for row in table[1:] if row[0]) == sorted(names)

    # Gereedheidsbesluit: from the heatmap to the student's readiness page; record it.
    sanne.locator("th a").click()
    page.wait_for_url(f"{base}/studenten/{student_id}/gereedheid")
    assert "Aan alle eisen voldaan." in page.locator("main").inner_text()
    assert_accessible(page, "readiness, ready")
    page.click("button:text-is('Gereedheidsbesluit vastleggen')")
    page.wait_for_selector("text=Besluit vastgelegd; het wacht op bevestiging door een tweede medewerker.")
    # Four eyes: whoever recorded it cannot confirm it.
    assert page.locator("button:text-is('Besluit bevestigen (tweede medewerker)')").count() == 0
    assert_accessible(page, "readiness, decision waiting")
    sign_out(page)

    # A second staff member confirms: the portfolio is sealed.
    page = sign_in(browser, base, SECOND, expect_path="/te-beoordelen")
    assert_accessible(page, "to assess (second staff member)")
    page.click("header a[href='/mijn-studenten']")
    page.wait_for_url(f"{base}/mijn-studenten")
    assert_accessible(page, "my students (assessor)")
    page.click("main a:text-is('Sanne Bos')")
    page.wait_for_url(f"{base}/studenten/{student_id}")
    assert_accessible(page, "student portfolio (second staff member)")
    page.click("main a:has-text('Diplomagereedheid')")
    page.wait_for_url(f"{base}/studenten/{student_id}/gereedheid")
    assert_accessible(page, "readiness, to confirm")
    page.click("button:text-is('Besluit bevestigen (tweede medewerker)')")
    page.wait_for_selector("text=Verzegeld.")
    assert page.locator("button:text-is('Besluit bevestigen (tweede medewerker)')").count() == 0
    assert_accessible(page, "readiness, sealed")
    screenshot(page, "journey-coordinator-sealed")
    page.context.close()

    events = query(
        live_server.database_url,
        "SELECT e.kind, u.email FROM readiness_event e JOIN user_account u ON u.id = e.actor_id "
        "WHERE e.student_id = :s ORDER BY e.id",
        s=student_id,
    )
    assert events == [("besluit", COORDINATOR), ("bevestiging", SECOND)]
