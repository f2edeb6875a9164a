"""Programmes, cohorts, enrolments, the CSV import, and who may see which student: the cohorts' public surface.

Each part lives in its own module; this one names them for the callers in other packages:
`scope` (who may see whom), `programmes` (programmes and cohorts), `members` (a cohort's people),
`people_csv` and `people_import` (the CSV import), `welcome` (welcome mails again).
The coordinator's cohort list with its slot counts reads evidence and lives in `app.dashboard.cohort_list`.
"""

from app.cohorts.members import Member as Member
from app.cohorts.members import assigned_students as assigned_students
from app.cohorts.members import cohort_member as cohort_member
from app.cohorts.members import cohort_members as cohort_members
from app.cohorts.members import cohort_members_page as cohort_members_page
from app.cohorts.members import enrolments_of_student as enrolments_of_student
from app.cohorts.members import staff_with_role as staff_with_role
from app.cohorts.people_csv import HEADER_ALIASES as HEADER_ALIASES
from app.cohorts.people_csv import IMPORTABLE_ROLES as IMPORTABLE_ROLES
from app.cohorts.people_csv import MAX_IMPORT_BYTES as MAX_IMPORT_BYTES
from app.cohorts.people_csv import MAX_IMPORT_ROWS as MAX_IMPORT_ROWS
from app.cohorts.people_csv import MAX_NAME_LENGTH as MAX_NAME_LENGTH
from app.cohorts.people_csv import MAX_ORGANISATION_LENGTH as MAX_ORGANISATION_LENGTH
from app.cohorts.people_csv import MAX_STUDENT_NUMBER_LENGTH as MAX_STUDENT_NUMBER_LENGTH
from app.cohorts.people_csv import REQUIRED_COLUMNS as REQUIRED_COLUMNS
from app.cohorts.people_csv import ImportRow as ImportRow
from app.cohorts.people_csv import parse_people_csv as parse_people_csv
from app.cohorts.people_import import ImportResult as ImportResult
from app.cohorts.people_import import import_people as import_people
from app.cohorts.programmes import FrameworkUnavailable as FrameworkUnavailable
from app.cohorts.programmes import coordinated_programme as coordinated_programme
from app.cohorts.programmes import create_cohort as create_cohort
from app.cohorts.programmes import create_programme as create_programme
from app.cohorts.programmes import framework_of as framework_of
from app.cohorts.programmes import programmes_for as programmes_for
from app.cohorts.scope import coordinated_programme_ids as coordinated_programme_ids
from app.cohorts.scope import visible_cohort as visible_cohort
from app.cohorts.scope import visible_student as visible_student
from app.cohorts.welcome import resend_welcome as resend_welcome
from app.cohorts.welcome import resend_welcome_staff as resend_welcome_staff
from app.cohorts.welcome import staff_not_activated as staff_not_activated
