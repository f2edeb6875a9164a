"""A believable demo: one programme, one cohort of 14 students and one who left, their workplaces and school staff.

`portfolio demo` seeds it (`seed_if_empty`) and prints the logins (`print_logins`).
"""

from app.demo.people import (
    ADMIN,
    ASSESSORS,
    COORDINATOR,
    DEMO_PASSWORD,
    DOMAIN,
    LEFT_STUDENT,
    SEALED_STUDENT,
    STUDENTS,
    SUPERVISORS,
    WAITING_STUDENT,
    print_logins,
)
from app.demo.people import email_of as _email  # the old name: tests look demo people up with it
from app.demo.seed import seed_if_empty

__all__ = [
    "ADMIN",
    "ASSESSORS",
    "COORDINATOR",
    "DEMO_PASSWORD",
    "DOMAIN",
    "LEFT_STUDENT",
    "SEALED_STUDENT",
    "STUDENTS",
    "SUPERVISORS",
    "WAITING_STUDENT",
    "_email",
    "print_logins",
    "seed_if_empty",
]
