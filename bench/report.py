"""`python -m bench.report [bench/results.json]`: the last run as Markdown (the machine, then one table row per
entry with PASS/FAIL), for the README's performance section."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

DEFAULT = Path(__file__).resolve().parent / "results.json"
COLUMNS = ("p50_ms", "p95_ms", "queries", "floor_ms", "ratio", "rps", "p99_ms", "peak_rss_mb")


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.2f}" if abs(value) < 10 else f"{value:.0f}"
    return str(value)


def machine_line(machine: dict[str, Any]) -> str:
    return (
        f"{machine.get('nproc')} CPUs ({machine.get('cpu_model') or '?'}), {machine.get('ram_mb')} MB RAM, "
        f"Python {machine.get('python')}, SQLite {machine.get('sqlite')}, load average at the start "
        f"{'/'.join(str(x) for x in machine.get('loadavg') or [])}, {machine.get('date')}"
    )


def markdown(report: dict[str, Any]) -> str:
    results = report["results"]
    columns = [c for c in COLUMNS if any(r.get(c) is not None for r in results)]
    lines = [
        f"Machine: {machine_line(report.get('machine', {}))}.",
        "",
        "| measurement | " + " | ".join(columns) + " | target |",
        "|---|" + "---:|" * len(columns) + "---|",
    ]
    for r in results:
        if r.get("met") is None:
            verdict = ""
        else:
            verdict = ("PASS" if r["met"] else "**FAIL**") + (f" ({r['target']})" if r.get("target") else "")
        lines.append(f"| `{r['name']}` | " + " | ".join(_cell(r.get(c)) for c in columns) + f" | {verdict} |")
    loads = [r for r in results if r.get("workers")]
    if loads:
        first = loads[0]
        lines += [
            "",
            f"Load: {first.get('clients')} concurrent clients for {first.get('seconds')} s against "
            f"{first.get('workers')} uvicorn worker(s), generator: {first.get('load_client')}.",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else DEFAULT
    print(markdown(json.loads(path.read_text())))


if __name__ == "__main__":
    main()
