"""The container files parse and keep their promises: compose names its services, the image runs as a non-root user."""

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
