"""Dutch is the source language; English comes from app/locale/en/LC_MESSAGES/messages.po.

Two guards keep the catalog complete: every string Babel extracts from the templates and app code has an English
translation, and so has every plain Dutch literal that reaches the user through `gettext(message)` at render time
(domain errors, role codes). The other tests switch the language through POST /taal and check that the choice sticks:
in a cookie for anyone, and on the account for a signed-in user.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from fastapi import FastAPI
from sqlmodel import Session

from app.accounts.models import User
from app.web import LOCALE_COOKIE
from tests.conftest import Browser, World, login

REPO = Path(__file__).resolve().parents[1]
BABEL_CFG = REPO / "babel.cfg"
EN_CATALOG = REPO / "app" / "locale" / "en" / "LC_MESSAGES" / "messages.po"
FRAMEWORK_PAGE = "/kader/bvjn-eindtermen/2012"

# Literals that reach the user through `gettext` / `_(variable)` without being raised as a domain error.
RENDERED_LITERALS = {
    "E-mailadres of wachtwoord klopt niet.",  # accounts/routes.py → login.html `_(error)`
    "De wachtwoorden zijn niet gelijk.",  # accounts/routes.py → reset.html `_(error)`
    "Deze pagina bestaat niet.",  # main.py: HTTP 404
    "Deze actie kan hier niet.",  # main.py: HTTP 405
}


def english_catalog() -> Catalog:
    with EN_CATALOG.open("rb") as fh:
        return read_po(fh, locale="en")


def extracted_msgids() -> dict[str, str]:
    """msgid → first file it comes from, extracted exactly as `make i18n` does (babel.cfg)."""
    with BABEL_CFG.open() as fh:
        method_map, options_map = parse_mapping_cfg(fh, str(BABEL_CFG))
    # The same keywords as `make i18n` (read from the Makefile, so the two cannot drift apart).
    extra = re.findall(r"-k (\w+)", (REPO / "Makefile").read_text())
    keywords = {**DEFAULT_KEYWORDS, **{k: None for k in extra}}
    found: dict[str, str] = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(REPO), method_map, options_map, keywords=keywords
    ):
        # A plural is one catalog entry, keyed by its singular.
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, filename)
    return found


def _literal(node: ast.expr) -> str | None:
    """A string literal, also when marked for extraction as `N_("...")`."""
    if isinstance(node, ast.Call) and _call_name(node) == "N_" and node.args:
        node = node.args[0]
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _call_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _app_modules() -> list[tuple[str, ast.Module]]:
    return [
        (str(path.relative_to(REPO)), ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted((REPO / "app").rglob("*.py"))
    ]


def domain_error_classes(modules: list[tuple[str, ast.Module]]) -> set[str]:
    """DomainError and every class in app/ that derives from it: raising one with a literal shows that literal."""
    bases: dict[str, set[str]] = {}
    for _where, tree in modules:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases.setdefault(node.name, set()).update(
                    b.id if isinstance(b, ast.Name) else b.attr
                    for b in node.bases
                    if isinstance(b, ast.Name | ast.Attribute)
                )
    found = {"DomainError"}
    while grown := {name for name, parents in bases.items() if parents & found} - found:
        found |= grown
    return found


def runtime_msgids() -> dict[str, str]:
    """Plain literals translated at render time: domain error messages and messages shown through `_()`/`|t`."""
    found: dict[str, str] = {}
    modules = _app_modules()
    errors = domain_error_classes(modules)
    for where, tree in modules:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _call_name(node) in errors and node.args:
                if (text := _literal(node.args[0])) is not None:
                    found.setdefault(text, where)
            elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "default_message" for t in node.targets
            ):
                if (text := _literal(node.value)) is not None:
                    found.setdefault(text, where)
            elif (
                isinstance(node, ast.Call)
                and _call_name(node) == "_error_response"
                and len(node.args) >= 3
                and (text := _literal(node.args[2])) is not None
            ):
                found.setdefault(text, where)
    for literal in RENDERED_LITERALS:
        found.setdefault(literal, "app (rendered literal)")
    return found


def untranslated(catalog: Catalog, msgids: dict[str, str]) -> list[str]:
    missing = []
    for msgid, where in sorted(msgids.items()):
        message = catalog.get(msgid)
        if message is None or message.fuzzy:
            missing.append(f"{msgid!r} ({where})")
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(s and s.strip() for s in strings):
            missing.append(f"{msgid!r} ({where})")
    return missing


# --- the catalog --------------------------------------------------------------------------------------------


def test_extraction_finds_the_template_strings() -> None:
    # A broken babel.cfg or extractor would make the completeness test below pass vacuously.
    msgids = extracted_msgids()
    assert len(msgids) > 50
    assert "Wachtwoord vergeten?" in msgids
    assert msgids["Wachtwoord vergeten?"].startswith("templates")


def test_every_extracted_message_has_an_english_translation() -> None:
    missing = untranslated(english_catalog(), extracted_msgids())
    assert not missing, (
        "Untranslated in app/locale/en/LC_MESSAGES/messages.po (run `make i18n`, then translate):\n  "
        + "\n  ".join(missing)
    )


def test_every_runtime_message_has_an_english_translation() -> None:
    msgids = runtime_msgids()
    assert {"Niet gevonden.", "Deze taal wordt niet ondersteund."} <= set(msgids)
    missing = untranslated(english_catalog(), msgids)
    assert not missing, (
        "Literals shown through gettext at render time lack an English translation (add them by hand to "
        "app/locale/en/LC_MESSAGES/messages.po; `make i18n` drops entries it cannot extract):\n  "
        + "\n  ".join(missing)
    )


PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[a-zA-Z%]")


def test_translations_keep_placeholders() -> None:
    # Jinja's new-style gettext always applies `%` formatting, so a stray `%` in a translation breaks the page.
    wrong = []
    for message in english_catalog():
        if not message.id or isinstance(message.id, tuple):
            continue
        assert isinstance(message.string, str)
        same_placeholders = sorted(PLACEHOLDER.findall(message.id)) == sorted(PLACEHOLDER.findall(message.string))
        if not same_placeholders or message.string.count("%") != message.id.count("%"):
            wrong.append(message.id)
    assert not wrong, wrong


# --- switching ----------------------------------------------------------------------------------------------


def test_login_page_is_dutch_by_default(client: Browser) -> None:
    response = client.get("/login")
    assert response.status_code == 200
    assert '<html lang="nl">' in response.text
    assert "Inloggen" in response.text
    assert "Wachtwoord vergeten?" in response.text


def test_switching_to_english_and_back(client: Browser) -> None:
    response = client.post("/taal", data={"locale": "en", "next": "/login"})
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert client.cookies.get(LOCALE_COOKIE) == "en"

    page = client.get("/login").text
    assert '<html lang="en">' in page
    assert "Forgot your password?" in page
    assert "Email address" in page
    assert "Wachtwoord vergeten?" not in page
    assert "Inloggen" not in page

    client.post("/taal", data={"locale": "nl", "next": "/login"})
    page = client.get("/login").text
    assert '<html lang="nl">' in page
    assert "Wachtwoord vergeten?" in page


def test_signed_in_choice_is_stored_on_the_account(
    client_factory: Callable[[], Browser], world: World, db: Session
) -> None:
    first = client_factory()
    login(first, world.student.email)
    assert '<html lang="nl">' in first.get(FRAMEWORK_PAGE).text
    response = first.post("/taal", data={"locale": "en", "next": FRAMEWORK_PAGE})
    assert response.status_code == 303
    assert response.headers["location"] == FRAMEWORK_PAGE

    db.expire_all()
    stored = db.get(User, world.student.id)
    assert stored is not None and stored.locale == "en"

    # A new browser has no language cookie: the page before login is Dutch, the account decides after.
    second = client_factory()
    assert second.cookies.get(LOCALE_COOKIE) is None
    assert '<html lang="nl">' in second.get("/login").text
    login(second, world.student.email)
    page = second.get(FRAMEWORK_PAGE)
    assert page.status_code == 200
    assert '<html lang="en">' in page.text
    # UI chrome is English ...
    assert "Log out" in page.text and "Uitloggen" not in page.text
    assert "Signed in as" in page.text and "Ingelogd als" not in page.text
    assert "Glossary" in page.text and "Begrippen" not in page.text
    assert ">Learning outcomes</a>" in page.text
    # ... the framework itself is source text and stays Dutch.
    assert "Visie en eindtermen voor jobcoachopleidingen" in page.text
    assert "Beroepsvereniging Jobcoaches Nederland" in page.text


def test_domain_errors_are_translated_when_shown(client: Browser, world: World) -> None:
    login(client, world.student.email)
    response = client.get("/kader/bvjn-eindtermen/1999")
    assert response.status_code == 404
    assert "Dit eindtermenkader bestaat niet." in response.text

    client.post("/taal", data={"locale": "en", "next": "/"})
    response = client.get("/kader/bvjn-eindtermen/1999")
    assert response.status_code == 404
    assert '<html lang="en">' in response.text
    assert "This learning outcomes framework does not exist." in response.text
    assert "Dit eindtermenkader bestaat niet." not in response.text


def test_unsupported_locale_is_refused(client: Browser) -> None:
    response = client.post("/taal", data={"locale": "de", "next": "/login"})
    assert response.status_code == 422
    assert "Deze taal wordt niet ondersteund." in response.text
    assert LOCALE_COOKIE not in response.headers.get("set-cookie", "")
    assert client.cookies.get(LOCALE_COOKIE) is None
    assert '<html lang="nl">' in client.get("/login").text


def test_unsupported_locale_leaves_a_chosen_language_alone(client: Browser, world: World, db: Session) -> None:
    login(client, world.student.email)
    client.post("/taal", data={"locale": "en", "next": "/"})
    response = client.post("/taal", data={"locale": "english", "next": "/"})
    assert response.status_code == 422
    assert "This language is not supported." in response.text
    assert client.cookies.get(LOCALE_COOKIE) == "en"
    db.expire_all()
    stored = db.get(User, world.student.id)
    assert stored is not None and stored.locale == "en"
    assert '<html lang="en">' in client.get(FRAMEWORK_PAGE).text


def test_english_pages_use_whole_sentences_and_the_scale_label(
    client_factory: Callable[[], Browser], world: World
) -> None:
    """Glued fragments ("<b>3</b> of the 7" + "register requirements met.") cannot be translated word order and
    all; the readiness rule showed the scale code `voldoende` in the English UI (#16 item 24)."""
    student = client_factory()
    login(student, world.student.email)
    student.post("/taal", data={"locale": "en", "next": "/portfolio"})
    register = student.get("/portfolio/register").text
    assert re.search(r"\d+ of the \d+ register requirements met\.", register), register
    assert re.search(r"\d+ of the \d+ applied in evidence", register)
    log = student.get("/portfolio/ontwikkeling").text
    assert re.search(r"[\d,]+ of [\d,.]+ hours \([\d,]+ of [\d,]+ EC\)", log), log
    assert re.search(r"One EC counts as [\d,]+ hours", log)

    assessor = client_factory()
    login(assessor, world.assessor.email)
    assessor.post("/taal", data={"locale": "en", "next": "/te-beoordelen"})
    readiness = assessor.get(f"/studenten/{world.student.id}/gereedheid").text
    assert "last assessed as at least Sufficient." in readiness, readiness


def test_notices_are_in_the_language_of_the_page(app: FastAPI, db: Session, world: World, client: Browser) -> None:
    """A notice made in the route was translated before the page's locale was set: Dutch on an English page."""
    from tests.test_signoff import submit

    a, b = submit(app, db, world, ["JF-a", "JF-b"])
    login(client, world.supervisor.email)
    client.post("/taal", data={"locale": "en", "next": "/aftekenen"})
    both = client.post(
        "/aftekenen", data={"verzoek": [str(a.id), str(b.id)], f"bevestig_{a.id}": "ja", f"bevestig_{b.id}": "ja"}
    )
    assert both.status_code == 200 and "2 requests signed off." in both.text, both.text
