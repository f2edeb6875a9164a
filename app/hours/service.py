"""Praktijkuren: log, submit per week, approve or return, and the totals others build on.

The work is split by responsibility; this module keeps the package's one public surface, so routes, the API, the
readiness verdict, the CLI and the demo import from here:

- `periods`: ISO weeks, months and hours to the cent;
- `totals`: entries with their derived state, and the totals per week, month and overall;
- `entries`: the student logs an entry (or corrects a returned one) and removes a concept;
- `submission`: the student submits a week to the praktijkbegeleider;
- `decisions`: the praktijkbegeleider approves a week or returns an entry;
- `minimum`: the programme's (or framework's) minimum of approved hours.
"""

from app.hours.decisions import ALREADY_DECIDED, PendingWeek, approve_week, pending_weeks_for, return_entry
from app.hours.entries import (
    CLIENT_CODE_RE,
    MAX_ACTIVITY,
    MAX_CLIENTS,
    MAX_PER_DAY,
    MAX_WORKPLACE,
    NOT_YOURS,
    STEP,
    HoursFormErrors,
    HoursInput,
    default_workplace,
    log_hours,
    own_entry,
    parse_hours,
    remove_concept,
    replaceable,
    split_codes,
)
from app.hours.minimum import (
    MINIMUM_FORMAT,
    framework_minimums,
    minimum_hours_for,
    parse_minimum,
    set_programme_minimum,
)
from app.hours.models import PracticeHours, format_hours
from app.hours.periods import WEEK_RE, ZERO, month_key, parse_week, week_key, week_number
from app.hours.submission import submit_week
from app.hours.totals import EntryView, HoursTotals, PeriodTotals, approved_hours, entries_of, hours_totals, totals_of

__all__ = [
    "ALREADY_DECIDED",
    "CLIENT_CODE_RE",
    "MAX_ACTIVITY",
    "MAX_CLIENTS",
    "MAX_PER_DAY",
    "MAX_WORKPLACE",
    "MINIMUM_FORMAT",
    "NOT_YOURS",
    "STEP",
    "WEEK_RE",
    "ZERO",
    "EntryView",
    "HoursFormErrors",
    "HoursInput",
    "HoursTotals",
    "PendingWeek",
    "PeriodTotals",
    "PracticeHours",
    "approve_week",
    "approved_hours",
    "default_workplace",
    "entries_of",
    "format_hours",
    "framework_minimums",
    "hours_totals",
    "log_hours",
    "minimum_hours_for",
    "month_key",
    "own_entry",
    "parse_hours",
    "parse_minimum",
    "parse_week",
    "pending_weeks_for",
    "remove_concept",
    "replaceable",
    "return_entry",
    "set_programme_minimum",
    "split_codes",
    "submit_week",
    "totals_of",
    "week_key",
    "week_number",
]
