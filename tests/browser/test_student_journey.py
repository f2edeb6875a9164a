"""A student adds evidence to a slot (two files in one upload, two eindtermen) and submits it for sign-off."""

import re
import struct
import zlib
from datetime import date, timedelta
from pathlib import Path

from tests.browser.a11y import assert_accessible
from tests.browser.conftest import LiveServer, screenshot
from tests.browser.helpers import assert_error_in_view, query, scroll_to_bottom, sign_in, user_id

STUDENT = "lotte@demo.jobcoach.nl"
SEALED = "femke@demo.jobcoach.nl"  # app.demo.SEALED_STUDENT


def _pdf(size: int) -> bytes:
    """A valid little PDF padded with a stream, so the upload is big enough to report progress."""
    padding = (b"0123456789abcdef" * (size // 16 + 1))[:size]
    return (
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
        + b"3 0 obj\n<< /Length %d >>\nstream\n" % len(padding)
        + padding
        + b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )


def _png(width: int = 8, height: int = 8) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes([40, 120, 80]) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def test_student_adds_evidence_with_two_files_and_submits_it(
    live_server: LiveServer,
    browser,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    base = live_server.base
    student_id = user_id(live_server.database_url, STUDENT)
    pdf = tmp_path / "verslag-intake.pdf"
    pdf.write_bytes(_pdf(2 * 1024 * 1024))
    png = tmp_path / "werkplek.png"
    png.write_bytes(_png())

    page = sign_in(browser, base, STUDENT, expect_path="/portfolio")
    assert_accessible(page, "portfolio")

    # Portfolio → the (still empty) slot IA-d.
    page.click("a.code:text-is('IA-d')")
    page.wait_for_url(f"{base}/studenten/{student_id}/eindtermen/IA-d")
    assert "Nog geen bewijs gekoppeld" in page.locator("main").inner_text()
    assert_accessible(page, "empty slot")

    page.click("main a[role=button]:has-text('Bewijsstuk toevoegen')")
    page.wait_for_url(re.compile(r"/bewijs/nieuw\?eindterm=IA-d$"))
    assert_accessible(page, "new evidence form")

    form = page.locator("#bewijs-formulier")
    form.locator("#title").fill("Intake en werknemersprofiel cliënt D")
    form.locator("#activity_date").fill((date.today() - timedelta(days=3)).isoformat())
    form.locator("#kind").select_option("verslag")
    form.locator("#reflection").fill("Situatie: intake met cliënt D. Actie: samen het profiel gemaakt. Reflectie: …")
    form.locator("#files").set_input_files([str(pdf), str(png)])

    # The slot's own eindterm comes pre-ticked; its onderbouwing appears once it is ticked.
    assert form.locator("#et-IA-d").is_checked()
    form.locator("textarea[name='onderbouwing_IA-d']").fill("Ik bracht samen met cliënt D zijn mogelijkheden in kaart.")
    # A second eindterm, in another group: open the group, tick it, and justify it.
    jf = form.locator("details.link-group:has(#et-JF-a)")
    jf.locator("summary").click()
    justification = form.locator("textarea[name='onderbouwing_JF-a']")
    assert not justification.is_visible()
    jf.locator("label[for='et-JF-a']").click()
    assert form.locator("#et-JF-a").is_checked() and justification.is_visible()
    justification.fill("Het werknemersprofiel volgt uit de intake.")
    assert_accessible(page, "filled evidence form")

    # Forgot the privacy confirmation: the form comes back with the error, keeps the text, drops the files.
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#formulier-fouten")
    form = page.locator("#bewijs-formulier")
    assert "Kies de bestanden opnieuw" in form.locator("#formulier-fouten").inner_text()
    assert form.locator("input[name=privacy][aria-invalid=true]").count() == 1
    assert_error_in_view(
        page,
        contains="Kies de bestanden opnieuw",
        field="#bewijs-formulier input[name=privacy]",
        described_by="privacy-fout",
    )
    assert form.locator("#title").input_value() == "Intake en werknemersprofiel cliënt D"
    assert form.locator("#et-JF-a").is_checked()
    assert "mogelijkheden in kaart" in form.locator("textarea[name='onderbouwing_IA-d']").input_value()
    assert_accessible(page, "evidence form with errors")
    form.locator("#files").set_input_files([str(pdf), str(png)])
    form.locator("input[name=privacy]").check()

    # Watch the upload progress bar that static/app.js drives from htmx:xhr:progress.
    progress: list[dict[str, object]] = []
    page.expose_function("reportUploadProgress", lambda state: progress.append(state))
    page.evaluate(
        """() => document.addEventListener('htmx:xhr:progress', (event) => {
            const bar = document.querySelector('progress#upload-voortgang');
            const button = document.querySelector('#bewijs-formulier button[type=submit]');
            const status = document.querySelector('#upload-status');
            const b = bar.getBoundingClientRect(), s = button.getBoundingClientRect();
            window.reportUploadProgress({hidden: bar.hidden, value: bar.value, attr: bar.getAttribute('value'),
                                         loaded: event.detail.loaded, total: event.detail.total,
                                         status: status.textContent, live: status.getAttribute('aria-live'),
                                         sameParent: bar.parentElement === button.parentElement,
                                         gap: Math.max(b.left - s.right, s.left - b.right, b.top - s.bottom,
                                                       s.top - b.bottom)});
        })"""
    )
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/bewijs/\d+$"))
    assert progress, "no htmx:xhr:progress event reached the page"
    assert all(p["total"] and int(p["total"]) > 2 * 1024 * 1024 for p in progress), progress  # type: ignore[call-overload]
    assert any(not p["hidden"] and float(p["value"]) > 0 for p in progress), progress  # type: ignore[arg-type]
    assert float(progress[-1]["value"]) == 100, progress  # type: ignore[arg-type]
    # Where the user clicked: beside the save button (same bar, within 40 px), with the files and the percentage
    # in a polite live region that changes in steps of 10 %, not on every event.
    assert all(p["sameParent"] and float(p["gap"]) <= 40 for p in progress if not p["hidden"]), progress  # type: ignore[arg-type]
    assert progress[-1]["live"] == "polite"
    assert progress[-1]["status"] == "verslag-intake.pdf, werkplek.png: 100 %", progress[-1]
    statuses = {str(p["status"]) for p in progress}
    assert statuses <= {f"verslag-intake.pdf, werkplek.png: {n} %" for n in range(0, 101, 10)}, statuses

    # The saved item: both files from the one upload, both eindtermen with their onderbouwing.
    assert_accessible(page, "evidence detail")
    files = page.locator("main .file-list").first
    assert files.locator("a[download]").count() == 2
    names = files.inner_text()
    assert "verslag-intake" in names and "werkplek" in names
    linked = page.locator("section:has(h2:text-is('Gekoppelde eindtermen')) li")
    assert linked.count() == 2
    assert "mogelijkheden in kaart" in linked.filter(has_text="IA-d").inner_text()
    assert "werknemersprofiel volgt" in linked.filter(has_text="JF-a").inner_text()
    evidence_id = int(page.url.rsplit("/", 1)[1])

    # Back to the slot, and submit it for sign-off from there.
    linked.filter(has_text="IA-d").locator("a").click()
    page.wait_for_url(f"{base}/studenten/{student_id}/eindtermen/IA-d")
    assert page.locator(".page-head .badge").first.inner_text() == "concept"
    assert_accessible(page, "slot with a draft")
    page.check("input[name=zelfbeoordeling][value=voldoende]")
    page.fill("#zelfmotivatie", "De cliënt bracht zelf in kaart wat hij kan.")
    page.fill("#bericht", "Wilt u deze intake aftekenen?")
    page.click("section:has(#indienen-titel) button[type=submit]")
    page.wait_for_selector("text=1 eindterm ingediend ter aftekening.")
    assert page.url == f"{base}/studenten/{student_id}/eindtermen/IA-d"
    assert page.locator(".page-head .badge").first.inner_text() == "ter aftekening"
    assert "wacht op aftekening" in page.locator("main").inner_text()
    assert page.locator("#indienen-titel").count() == 0
    assert_accessible(page, "slot after submitting")
    screenshot(page, "journey-student-submitted")

    rows = query(
        live_server.database_url,
        "SELECT eindterm_code, message FROM submission WHERE student_id = :s AND eindterm_code IN ('IA-d', 'JF-a')",
        s=student_id,
    )
    assert rows == [("IA-d", "Wilt u deze intake aftekenen?")]
    files_stored = query(
        live_server.database_url,
        "SELECT COUNT(*) FROM evidence_file f JOIN evidence_version v ON v.id = f.version_id WHERE v.evidence_id = :e",
        e=evidence_id,
    )
    assert files_stored == [(2,)]

    # A returned slot submitted again unchanged: refused, with the reason next to the button (#16 item 1).
    returned = query(
        live_server.database_url,
        "SELECT eindterm_code FROM slot WHERE student_id = :s AND status = 'terug' ORDER BY eindterm_code",
        s=student_id,
    )
    assert returned, "the demo should give Lotte a returned slot"
    code = returned[0][0]
    page.goto(f"{base}/studenten/{student_id}/eindtermen/{code}")
    page.set_viewport_size({"width": 375, "height": 812})
    assert scroll_to_bottom(page) > 0
    page.check("input[name=zelfbeoordeling][value=goed]")
    page.fill("#zelfmotivatie", "Nog steeds goed, vind ik.")
    page.click("section:has(#indienen-titel) button[type=submit]")
    assert_error_in_view(page, contains="pas eerst het bewijs aan")
    assert page.locator("#indienen-fout").get_attribute("role") == "alert"
    assert_accessible(page, "returned slot submitted unchanged (phone)")
    page.context.close()


def test_saving_in_a_sealed_portfolio_says_so_next_to_the_button(live_server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    """The demo seals one student's portfolio; a save from a form still open says why it failed, where she is."""
    page = sign_in(browser, live_server.base, SEALED)
    page.goto(f"{live_server.base}/bewijs/nieuw")
    page.locator("#title").fill("Nog een verslag")
    assert scroll_to_bottom(page) > 0
    page.click("#bewijs-formulier button[type=submit]")
    assert_error_in_view(page, contains="verzegeld")
    assert page.locator("#bewijs-fout").get_attribute("role") == "alert"
    assert page.locator("#bewijs-formulier #title").input_value() == "Nog een verslag"  # the form is kept
    assert_accessible(page, "sealed portfolio, save refused")
    page.context.close()
