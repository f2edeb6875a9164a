"""The container files parse and keep their promises: compose names its services, the image runs as a non-root user."""

import contextlib
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_compose_parses_and_names_the_services() -> None:
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    assert {"app1", "app2", "worker", "db", "s3"} <= set(services)
    assert services["worker"]["command"] == ["portfolio", "worker"]
    assert services["app1"]["environment"]["STORAGE_BACKEND"] == "s3"


def test_containerfile_has_base_arg_user_volume_and_healthcheck() -> None:
    text = (ROOT / "Containerfile").read_text()
    assert re.search(r"^ARG BASE=python:3\.11-slim-bookworm$", text, re.M)
    user = re.search(r"^USER (\S+)$", text, re.M)
    assert user and user.group(1) not in {"root", "0"}
    assert re.search(r"^VOLUME .*/data/storage", text, re.M)
    assert re.search(r"^HEALTHCHECK .*", text, re.M) and "/readyz" in text
    assert (ROOT / ".containerignore").read_text() == (ROOT / ".dockerignore").read_text()


def _runtime_closure() -> set[str]:
    """The distributions the image installs: pyproject's runtime dependencies and everything they require."""
    import tomllib
    from importlib.metadata import PackageNotFoundError, requires

    def name(requirement: str) -> str:
        return re.split(r"[\s\[<>=!~;(]", requirement, maxsplit=1)[0].lower().replace("_", "-")

    todo = [name(r) for r in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]]
    seen: set[str] = set()
    while todo:
        dist = todo.pop()
        if dist in seen:
            continue
        seen.add(dist)
        with contextlib.suppress(PackageNotFoundError):  # an optional dependency that is not installed
            todo += [name(r) for r in requires(dist) or [] if "extra ==" not in r]
    return seen


def test_every_library_the_app_imports_is_a_runtime_dependency() -> None:
    """The image installs the runtime dependencies only: a library that reaches the app through a dev tool (pytest,
    moto, schemathesis) works in the tests and breaks the image."""
    import ast
    import sys
    from importlib.metadata import packages_distributions

    owners = packages_distributions()
    closure = _runtime_closure()
    missing = {}
    for path in (ROOT / "app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for module in names:
                top = module.split(".")[0]
                if top == "app" or top in sys.stdlib_module_names:
                    continue
                dists = {d.lower().replace("_", "-") for d in owners.get(top, [])}
                if dists and not dists & closure:
                    missing[top] = f"{path.relative_to(ROOT)} ({', '.join(sorted(dists))})"
    assert missing == {}, f"add to [project].dependencies in pyproject.toml: {missing}"
