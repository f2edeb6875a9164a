"""Geometry for the cohort's progress chart: the template draws an SVG from these numbers (no JavaScript)."""

from dataclasses import dataclass, field
from datetime import date

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP, PAD_RIGHT = 720, 260, 48, 28, 12, 12


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    signed_points: str
    assessed_points: str
    y_ticks: list[tuple[float, int]] = field(default_factory=list)  # (y, value)
    x_ticks: list[tuple[float, date]] = field(default_factory=list)  # (x, week); the template formats the date
    end_x: float | None = None
    planned_end: date | None = None
    last_signed: int = 0
    last_assessed: int = 0
    plot_left: int = PAD_LEFT
    plot_bottom: int = HEIGHT - PAD_BOTTOM


def progress_chart(weeks: list[tuple[date, int, int]], *, total: int, planned_end: date | None) -> Chart:
    if not weeks:
        return Chart(width=WIDTH, height=HEIGHT, signed_points="", assessed_points="")
    first = weeks[0][0]
    last = max(weeks[-1][0], planned_end or weeks[-1][0])
    span = max((last - first).days, 7)
    # Scale to what happened (with headroom), not to every slot of every student: early in a cohort the lines
    # would otherwise hug the axis. `total` still caps the scale.
    highest = max(max(s for _, s, _ in weeks), max(a for _, _, a in weeks))
    top = max(min(total, round(highest * 1.25) + 1), 1)
    inner_w, inner_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM

    def x(day: date) -> float:
        return round(PAD_LEFT + inner_w * (day - first).days / span, 1)

    def y(value: int) -> float:
        return round(PAD_TOP + inner_h * (1 - value / top), 1)

    signed = " ".join(f"{x(w)},{y(s)}" for w, s, _ in weeks)
    assessed = " ".join(f"{x(w)},{y(a)}" for w, _, a in weeks)
    y_ticks = [(y(round(top * f)), round(top * f)) for f in (0, 0.25, 0.5, 0.75, 1)]
    step = max(1, len(weeks) // 6)
    x_ticks = [(x(w), w) for w, _, _ in weeks[::step]]
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        signed_points=signed,
        assessed_points=assessed,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        end_x=x(planned_end) if planned_end else None,
        planned_end=planned_end,
        last_signed=weeks[-1][1],
        last_assessed=weeks[-1][2],
    )
