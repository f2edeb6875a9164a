"""Issue #15, Medium 5: `next` after login (and the language switch) never leaves this origin, never breaks a header."""

import re
from collections.abc import Callable
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from tests.conftest import PASSWORD, Browser, World, login

ORIGIN = "http://testserver"


def whatwg_stays_on_origin(location: str) -> bool:
    """Resolve `location` against http://testserver/ the way the WHATWG URL standard does, as far as it matters
    for the origin (written here on its own, not borrowed from the app)."""
    # Leading/trailing C0 controls and spaces are stripped; tab, CR and LF anywhere are removed.
    value = location.strip("".join(chr(c) for c in range(0x21)))
    value = re.sub(r"[\t\r\n]", "", value)
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", value):
        scheme = value.split(":", 1)[0].lower()
        rest = value[len(scheme) + 1 :]
        # "http:foo" is relative for a special base with the same scheme, unless an authority follows.
        return scheme == "http" and not re.match(r"[/\\]{2}", rest)
    # For special schemes "\" counts as "/": two of them start an authority.
    return not re.match(r"[/\\]{2}", value)


def lands_on_origin(location: str) -> bool:
    joined = urlsplit(urljoin(ORIGIN + "/", location))
    return (
        joined.scheme == "http"
        and joined.netloc == "testserver"
        and whatwg_stays_on_origin(location)
        # A proxy or browser that decodes once more must not find another host either.
        and whatwg_stays_on_origin(unquote(location))
        and not re.search(r"[\x00-\x20\x7f\\]", location)
    )


HOSTILE = [
    "/%09/evil.example/phish",
    "/\t/evil.example/phish",
    "/%0a/evil.example",
    "/\n/evil.example",
    "/%0d/evil.example",
    "\t//evil.example",
    "//evil",
    "///evil",
    "/\\evil",
    "\\\\evil",
    "/%5Cevil",
    "/%5cevil",
    "/%2F%2Fevil",
    "/%2f/evil",
    "/%252F%252Fevil",
    "https://evil",
    "http://evil",
    "http:evil",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " /\\evil",
    "/ /evil",
    "/\x00/evil",
    "/\x7f/evil",
    "/\r\nSet-Cookie: x=1",
    "/%0d%0aSet-Cookie:x=1",
    "/€",
    "/%E2%82%AC",
    "evil.example",
]
SAFE = ["/portfolio?x=1", "/portfolio", "/studenten/3/eindtermen/IA-a", "/kader?zoek=a%20b"]


def test_the_independent_check_itself_tells_off_site_from_on_site() -> None:
    assert not lands_on_origin("/\t/evil.example/phish")
    assert not lands_on_origin("/\\evil")
    assert not lands_on_origin("https://evil")
    assert lands_on_origin("/portfolio?x=1")


@pytest.mark.parametrize("target", HOSTILE)
def test_hostile_next_after_login_goes_to_the_start_page(world: World, client: Browser, target: str) -> None:
    response = client.post("/login", data={"email": world.student.email, "password": PASSWORD, "next": target})
    assert response.status_code == 303
    location = response.headers["location"]
    assert location == "/" and lands_on_origin(location)


@pytest.mark.parametrize("target", SAFE)
def test_a_local_next_is_kept(world: World, client: Browser, target: str) -> None:
    response = client.post("/login", data={"email": world.student.email, "password": PASSWORD, "next": target})
    assert response.status_code == 303 and response.headers["location"] == target
    assert lands_on_origin(target)


@pytest.mark.parametrize(
    "raw_query",
    [
        "%E2%82%AC",
        "/%E2%82%AC",
        "%0d%0aSet-Cookie:x",
        "/%0d%0aSet-Cookie:x",
        "/%09/evil.example/phish",
        "/%FF%FE",
        "%00",
    ],
)
def test_raw_bytes_in_the_query_never_break_the_answer(
    world: World, client_factory: Callable[[], Browser], raw_query: str
) -> None:
    anonymous = client_factory()
    page = anonymous.get(f"/login?next={raw_query}")
    assert page.status_code == 200
    signed_in = client_factory()
    login(signed_in, world.student.email)
    response = signed_in.get(f"/login?next={raw_query}")
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert not any(name.lower() == "set-cookie" and value.startswith("x") for name, value in response.headers.items())
    switched = signed_in.post("/taal", data={"locale": "en", "next": unquote(raw_query)})
    assert switched.status_code == 303 and lands_on_origin(switched.headers["location"])


def test_the_sign_in_redirect_encodes_the_path(client: Browser) -> None:
    cases = [
        ("/portfolio", "/login?next=/portfolio"),
        (
            "/studenten/1/eindtermen/%E2%82%AC%0d%0aSet-Cookie:x",
            "/login?next=/studenten/1/eindtermen/%E2%82%ACSet-Cookie%3Ax",
        ),
    ]
    for path, expected in cases:
        response = client.get(path)
        assert response.status_code == 303 and response.headers["location"] == expected
        assert lands_on_origin(response.headers["location"])
