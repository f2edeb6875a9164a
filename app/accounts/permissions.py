"""The one role→permission table. Routes ask for a permission, never for a role."""

from enum import StrEnum

from app.accounts.models import Role


class Permission(StrEnum):
    signed_in = "signed_in"  # own account, start page, language
    framework_view = "framework:view"
    portfolio_own = "portfolio:own"  # the student's own portfolio
    evidence_write = "evidence:write"  # create and revise one's own bewijsstukken, indienen
    hours_write = "hours:write"  # log and submit one's own praktijkuren
    development_write = "development:write"  # log one's own deskundigheidsbevordering and diplomas
    student_view = "student:view"  # a student's portfolio, within the viewer's scope
    students_assigned = "students:assigned"  # the list of students assigned to me
    signoff = "signoff:decide"  # aftekenen as praktijkbegeleider
    assess = "assessment:score"  # beoordelen as beoordelaar
    substitute_approve = "substitute:approve"  # approve a substitute assignment for 'niet mogelijk'
    readiness_decide = "readiness:decide"  # record or reopen the gereedheidsbesluit, build the dossier
    readiness_confirm = "readiness:confirm"  # the second pair of eyes on a gereedheidsbesluit

    supervisor_propose = "supervisor:propose"  # a student proposes a praktijkbegeleider (a voorstel, nothing more)
    supervisor_invite = "supervisor:invite"  # invite a praktijkbegeleider for a student in one's cohorts
    assignment_approve = "assignment:approve"  # approve or reject a student's voorstel (koppeling goedkeuren)
    cohort_view = "cohort:view"
    cohort_manage = "cohort:manage"
    people_import = "people:import"
    assignment_manage = "assignment:manage"
    user_manage = "user:manage"
    person_erase = "person:erase"  # erase a person's personal data on request (AVG), with a reason
    privacy_register = "privacy:register"  # the register of personal data (AVG art. 30)
    privacy_export_any = "privacy:export-any"  # export anyone's personal data on request (AVG art. 15/20)


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.student: frozenset(
        {
            Permission.signed_in,
            Permission.framework_view,
            Permission.portfolio_own,
            Permission.evidence_write,
            Permission.hours_write,
            Permission.development_write,
            Permission.student_view,
            Permission.supervisor_propose,
        }
    ),
    Role.praktijkbegeleider: frozenset(
        {
            Permission.signed_in,
            Permission.framework_view,
            Permission.student_view,
            Permission.students_assigned,
            Permission.signoff,
        }
    ),
    Role.beoordelaar: frozenset(
        {
            Permission.signed_in,
            Permission.framework_view,
            Permission.student_view,
            Permission.students_assigned,
            Permission.assess,
            Permission.readiness_confirm,
        }
    ),
    Role.coordinator: frozenset(
        {
            Permission.signed_in,
            Permission.framework_view,
            Permission.student_view,
            Permission.cohort_view,
            Permission.cohort_manage,
            Permission.people_import,
            Permission.assignment_manage,
            Permission.supervisor_invite,
            Permission.assignment_approve,
            Permission.substitute_approve,
            Permission.readiness_decide,
            Permission.readiness_confirm,
            Permission.privacy_register,
        }
    ),
    # Data minimisation: the beheerder manages accounts but does not read portfolios.
    Role.beheerder: frozenset(
        {
            Permission.signed_in,
            Permission.framework_view,
            Permission.user_manage,
            Permission.person_erase,
            Permission.privacy_register,
            Permission.privacy_export_any,
        }
    ),
}


# Staff who sign in with a password must use a second factor (SECOND_FACTOR_REQUIRED); students and
# praktijkbegeleiders may. A school-account login relies on the institution's own MFA.
SECOND_FACTOR_ROLES: frozenset[Role] = frozenset({Role.coordinator, Role.beoordelaar, Role.beheerder})


def permissions_for(roles: set[Role]) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS[role]
    return frozenset(granted)
