"""The house rules of docs/architecture.md, checked on the source: imports run one way, modules stay small.

Every `from app.x import …` counts, at the top of a module or inside a function (a function-level import is
how a cycle hides). A package is either a *core* (everything but its interface modules) or an *interface*
(`routes.py`, `api.py`, `*_routes.py`: the HTML and JSON edge).
"""

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"

# Low to high. A core may import its own package and the cores of lower layers, never a higher one.
LAYERS: list[set[str]] = [
    {"i18n"},
    {"errors"},
    {"config"},
    {"logs"},
    {"db"},
    {"validation", "events"},
    {"storage"},
    {"audit"},
    {"notifications"},
    {"accounts"},
    {"framework"},
    {"cohorts"},
    {"evidence"},
    {"signoff"},
    {"hours"},
    {"assessment"},
    {"readiness"},
    {"development"},
    {"dashboard"},
    {"lti"},  # LTI 1.3 tool: over accounts and cohorts
    {"privacy"},
    {"ops"},  # health, metrics, backup: read every domain, serve none
    {"web"},  # HTML/JSON plumbing: over every core, under every interface
    {"bodylimit"},
    {"deps", "responses"},
]
# Put the app together: may import anything; nothing but another composition module imports them.
COMPOSITION = {"main", "asgi", "cli", "wiring", "models", "migrate", "demo", "benchdata"}

MAX_LINES = 400
# Declarative data, read as a table rather than top to bottom (docs/architecture.md lists why).
LONG_ON_PURPOSE = {"privacy/register.py"}


def package_of(path: Path, root: Path) -> str:
    parts = path.relative_to(root).parts
    return parts[0].removesuffix(".py")


def is_interface(path: Path) -> bool:
    return path.stem in {"routes", "api"} or path.stem.endswith("_routes")


def imported_modules(path: Path) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "app":  # `from app import service` names modules of the package `app`
                found.extend((node.lineno, f"app.{alias.name}") for alias in node.names)
            else:
                # `from app.signoff import service` imports app.signoff.service
                found.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
    return [(line, name) for line, name in found if name.startswith("app.")]


def target_is_interface(module: str, root: Path) -> bool:
    parts = module.split(".")[1:]
    for n in range(len(parts), 0, -1):
        candidate = root.joinpath(*parts[:n]).with_suffix(".py")
        if candidate.exists():
            return is_interface(candidate)
    return False


def violations(root: Path = APP) -> list[str]:
    rank = {name: i for i, layer in enumerate(LAYERS) for name in layer}
    found: list[str] = []
    for path in sorted(root.rglob("*.py")):
        source = package_of(path, root)
        where = path.relative_to(root.parent)
        for line, module in imported_modules(path):
            target = module.split(".")[1]
            if target == source or (target not in rank and target not in COMPOSITION):
                continue
            if source in COMPOSITION:
                continue
            if target in COMPOSITION:
                found.append(f"{where}:{line} imports {module}: only the composition imports the composition")
            elif source not in rank:
                found.append(f"{where}:{line}: package {source!r} has no place in LAYERS (docs/architecture.md)")
            elif target_is_interface(module, root):
                found.append(f"{where}:{line} imports {module}: another package's routes/api are not a library")
            elif not is_interface(path) and rank[target] >= rank[source]:
                found.append(f"{where}:{line} imports {module}: {source} sits below {target}; use a hook")
    return found


def test_imports_run_one_way() -> None:
    assert violations() == []


def test_every_package_has_a_layer() -> None:
    packages = {package_of(p, APP) for p in APP.glob("*") if p.suffix == ".py" or (p / "__init__.py").exists()}
    placed = {name for layer in LAYERS for name in layer} | COMPOSITION | {"__init__"}
    assert packages - placed == set()


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "app"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_a_cycle_between_two_cores_is_found(tmp_path: Path) -> None:
    # The cycle this test was written against: evidence ↔ signoff, one side inside a function.
    root = _tree(
        tmp_path,
        {
            "evidence/service.py": "def submit():\n    from app.signoff.service import notify_submitted\n",
            "signoff/service.py": "from app.evidence.service import files_of_versions\n",
        },
    )
    found = violations(root)
    assert len(found) == 1 and "evidence/service.py:2 imports app.signoff.service.notify_submitted" in found[0]


@pytest.mark.parametrize(
    ("files", "needle"),
    [
        (
            {"evidence/routes.py": "from app.dashboard.routes import student_in_scope\n", "dashboard/routes.py": ""},
            "routes/api are not",
        ),
        ({"audit/verify.py": "import app.models\n"}, "only the composition"),
        ({"cohorts/overview.py": "from app import readiness\n"}, "cohorts sits below readiness"),
        ({"newthing/service.py": "from app.db import utcnow\n"}, "no place in LAYERS"),
    ],
)
def test_each_rule_can_fail(tmp_path: Path, files: dict[str, str], needle: str) -> None:
    found = violations(_tree(tmp_path, files))
    assert len(found) == 1 and needle in found[0]


def test_an_interface_may_compose_cores_of_any_layer(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"evidence/routes.py": "from app.assessment import service\nfrom app.web import render\n"})
    (root / "assessment").mkdir(exist_ok=True)
    (root / "assessment" / "service.py").write_text("")
    assert violations(root) == []


def test_modules_read_in_one_sitting() -> None:
    long = {
        str(p.relative_to(APP)): n
        for p in APP.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert {k: v for k, v in long.items() if k not in LONG_ON_PURPOSE} == {}
