"""The register of personal data (AVG art. 30): every table and file kind that holds personal data, in one place.

For each kind: what it is, why we keep it (doel), on which legal basis (grondslag), how long (bewaartermijn, tied
to a setting where one exists) and which columns identify the person the row is about (the data subject). The
export (`app.privacy.export`) and erasure read this register, so they cover a new table as soon as it is listed.

What counts as a personal-data column is defined mechanically (`personal_columns_of`), and `check_register`
walks every table in the metadata: a table must be either in `REGISTER` or in `NOT_PERSONAL` (with a reason), and a
registered table must list every personal column it has. `tests/test_privacy_register.py` runs it, so a new table
or a new personal column always forces a decision here.

A column marks itself with `info={"personal": True}` (or `False` to overrule the name rules) in its `sa_column`.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import MetaData, Table, Text
from sqlmodel import SQLModel

from app.accounts.models import LoginAttempt, PasswordResetToken, User, UserRole, UserSession
from app.accounts.second_factor_models import RecoveryCode, SecondFactor
from app.accounts.sso_models import SignInIdentity, SsoLoginState
from app.assessment.models import Assessment, SubstituteApproval
from app.audit.models import AuditEvent
from app.cohorts.models import Enrolment, ProgrammeCoordinator, SupervisorAssignment
from app.development.models import DevelopmentEntry, DevelopmentWithdrawal, EvidenceMethod
from app.evidence.models import (
    Blob,
    Evidence,
    EvidenceFile,
    EvidenceLink,
    EvidenceVersion,
    SelfAssessment,
    Slot,
    Submission,
)
from app.hours.models import HoursDecision, HoursReminder, PracticeHours
from app.lti.models import LtiLaunchState
from app.notifications.models import OutboxMessage
from app.privacy.models import AccessEvent, PrivacyExport
from app.readiness.models import Dossier, ReadinessEvent
from app.signoff.models import Reminder, SignOff, SupervisorLink

USER_TABLE = "user_account"

# Name parts (split on "_") that make a column personal data: names, contact details, free text about people.
PERSONAL_NAME_PARTS = frozenset(
    {
        "name",
        "email",
        "address",
        "phone",
        "ip",
        "agent",  # user_agent
        "title",
        "description",
        "text",
        "comment",
        "reflection",
        "justification",
        "feedback",
        "message",
        "body",
        "subject",
        "reason",
        "filename",
        "organisation",
        "function",
        "workplace",
        "links",
        "note",
        "notes",
        "birth",
        "client",
    }
)


# Whole column names that are personal data although none of their parts says so.
PERSONAL_NAMES = frozenset({"student_number", "bsn", "birth_date", "date_of_birth", "iban"})


def personal_columns_of(table: Table) -> tuple[str, ...]:
    """The columns of `table` that hold personal data, by rule:

    * a column marked `info={"personal": True}` (and never one marked `False`);
    * a foreign key to the user table (it names a person);
    * a free-text column (`Text`) — free text can always name someone;
    * a name part from PERSONAL_NAME_PARTS (`decided_by_email`, `original_name`, `to_address`, `client_codes`...)
      or a whole name from PERSONAL_NAMES (`student_number`).
    """
    found = []
    for column in table.columns:
        marker = column.info.get("personal")
        if marker is False:
            continue
        parts = set(column.name.lower().split("_"))
        if (
            marker is True
            or any(fk.column.table.name == USER_TABLE for fk in column.foreign_keys)
            or isinstance(column.type, Text)
            or bool(parts & PERSONAL_NAME_PARTS)
            or column.name.lower() in PERSONAL_NAMES
        ):
            found.append(column.name)
    return tuple(found)


@dataclass(frozen=True)
class DataKind:
    key: str
    title: str  # Dutch
    table: type[SQLModel] | None  # None: a kind of stored file
    subject_columns: tuple[str, ...]  # columns naming the person the row is about
    personal_columns: tuple[str, ...]  # every column holding personal data (the subject's or someone else's)
    purpose: str  # doel
    legal_basis: str  # grondslag
    retention: str  # bewaartermijn, Dutch; `{n}` is replaced by the setting's current value
    retention_setting: str | None = None  # a Settings attribute
    retention_default: int | None = None  # used when the setting does not exist (yet)
    # Rows about the subject through a parent row: (this table's column, the parent's register key).
    via: tuple[str, str] | None = None
    # Columns holding the subject's e-mail address (mail sent to them).
    subject_email_columns: tuple[str, ...] = ()
    # (type column, id column, types): rows about the subject by an object reference, e.g. audit events.
    subject_object: tuple[str, str, tuple[str, ...]] | None = None
    # Never exported (hashes of secrets, password hashes, mail bodies with login links).
    secret_columns: tuple[str, ...] = ()
    # False only for pseudonymised rows that cannot be traced to a person without extra data.
    traceable: bool = True

    @property
    def table_name(self) -> str | None:
        return None if self.table is None else str(self.table.__tablename__)

    def retention_text(self, settings: Any) -> str:
        if self.retention_setting is None:
            return self.retention
        value = getattr(settings, self.retention_setting, self.retention_default)
        return self.retention.replace("{n}", str(value))


# Grondslagen, in the words of AVG art. 6.
TASK = "Wettelijke taak / algemeen belang (art. 6 lid 1 sub e AVG): opleiden, begeleiden en diplomeren (WEB/WHW)"
CONTRACT = "Uitvoering van de onderwijsovereenkomst (art. 6 lid 1 sub b AVG)"
LEGAL = "Wettelijke verplichting (art. 6 lid 1 sub c AVG): bewaarplicht examendossier en beveiliging (art. 32 AVG)"
INTEREST = "Gerechtvaardigd belang (art. 6 lid 1 sub f AVG): beveiliging en verantwoording"

EVIDENCE_RETENTION = (
    "{n} maanden na het gereedheidsbesluit, of "
    "6 maanden nadat de student de opleiding verliet (instelling retention_evidence_months_after_leaving)"
)
RECORDS_RETENTION = "{n} jaar na het gereedheidsbesluit of het vertrek van de student"

REGISTER: tuple[DataKind, ...] = (
    DataKind(
        key="gebruiker",
        title="Accounts (naam, e-mailadres, studentnummer, eduPersonPrincipalName, organisatie, functie)",
        table=User,
        subject_columns=("id",),
        personal_columns=(
            "id",
            "email",
            "name",
            "password_hash",
            "student_number",
            "principal_name",
            "organisation",
            "function",
        ),
        purpose="Inloggen, de juiste persoon de juiste gegevens tonen, mail sturen",
        legal_basis=CONTRACT,
        retention=RECORDS_RETENTION + "; daarna gepseudonimiseerd",
        retention_setting="retention_records_years",
        retention_default=7,
        secret_columns=("password_hash",),
    ),
    DataKind(
        key="rollen",
        title="Rollen van gebruikers",
        table=UserRole,
        subject_columns=("user_id",),
        personal_columns=("user_id",),
        purpose="Bepalen wat iemand mag zien en doen",
        legal_basis=CONTRACT,
        retention="Zolang het account bestaat",
    ),
    DataKind(
        key="sessies",
        title="Inlogsessies",
        table=UserSession,
        subject_columns=("user_id",),
        personal_columns=("user_id",),
        purpose="Ingelogd blijven; uitloggen of blokkeren beëindigt de sessie direct",
        legal_basis=INTEREST,
        retention="Tot de sessie verloopt (na ten hoogste {n} uur)",
        retention_setting="session_max_hours",
        retention_default=12,
        secret_columns=("token_hash",),
    ),
    DataKind(
        key="tweede_factor",
        title="Tweede factor (authenticator-app)",
        table=SecondFactor,
        subject_columns=("user_id",),
        personal_columns=("user_id",),
        purpose="Inloggen met een wachtwoord beveiligen met een code uit een app",
        legal_basis=INTEREST,
        retention="Tot de gebruiker hem uitzet of de beheerder hem reset; zolang het account bestaat",
        secret_columns=("secret",),
    ),
    DataKind(
        key="herstelcodes",
        title="Herstelcodes voor de tweede factor (gehasht)",
        table=RecoveryCode,
        subject_columns=("user_id",),
        personal_columns=("user_id",),
        purpose="Inloggen zonder de telefoon met de authenticator-app, eenmalig per code",
        legal_basis=INTEREST,
        retention="Tot nieuwe codes worden gemaakt of de tweede factor vervalt",
        secret_columns=("code_hash",),
    ),
    DataKind(
        key="schoolaccounts",
        title="Gekoppelde schoolaccounts (SURFconext, eduID) en accounts in leerplatforms (LTI)",
        table=SignInIdentity,
        subject_columns=("user_id",),
        personal_columns=("user_id", "sub", "schac_home_organization", "eduperson_affiliation", "name", "email"),
        purpose=(
            "Inloggen met het account van de eigen instelling of vanuit de cursus in het leerplatform; de "
            "instelling die mag inloggen controleren"
        ),
        legal_basis=CONTRACT,
        retention="Zolang het account bestaat; gegevens worden bij elke inlog ververst",
    ),
    DataKind(
        key="sso_inlogpogingen",
        title="Lopende inlogpogingen met een schoolaccount",
        table=SsoLoginState,
        subject_columns=(),  # no person yet: who signs in is known only when the provider answers
        personal_columns=("client_hash",),
        purpose="Een inlogpoging aan de browser binden en eenmalig laten afronden",
        legal_basis=INTEREST,
        retention="Tien minuten, of tot de inlogpoging is afgerond",
        secret_columns=("state_hash", "browser_hash", "nonce", "code_verifier"),
        traceable=False,
    ),
    DataKind(
        key="lti_aanmeldingen",
        title="Lopende aanmeldingen vanuit een cursus in een leerplatform (LTI)",
        table=LtiLaunchState,
        subject_columns=(),  # no person yet: who launches is known only from the platform's signed token
        personal_columns=("client_hash",),
        purpose="Een aanmelding vanuit de cursus aan de browser binden en eenmalig laten afronden",
        legal_basis=INTEREST,
        retention="Tien minuten; daarna verwijderd bij de volgende aanmelding",
        secret_columns=("state_hash", "browser_hash", "nonce"),
        traceable=False,
    ),
    DataKind(
        key="wachtwoordherstel",
        title="Links om het wachtwoord te herstellen",
        table=PasswordResetToken,
        subject_columns=("user_id",),
        personal_columns=("user_id",),
        purpose="Een vergeten wachtwoord herstellen",
        legal_basis=CONTRACT,
        retention="Tot de link verloopt (na {n} uur)",
        retention_setting="password_reset_hours",
        retention_default=2,
        secret_columns=("token_hash",),
    ),
    DataKind(
        key="inlogpogingen",
        title="Mislukte inlogpogingen (gehasht e-mailadres en client)",
        table=LoginAttempt,
        subject_columns=(),  # pseudonymised: not traceable to an account without the e-mail address
        personal_columns=("email_hash", "client_hash"),
        purpose="Raden van wachtwoorden beperken",
        legal_basis=INTEREST,
        retention="{n} minuten (het tijdvenster van de inlogbeperking)",
        retention_setting="login_window_minutes",
        retention_default=15,
        traceable=False,
    ),
    DataKind(
        key="coordinatoren",
        title="Opleidingscoördinatoren per opleiding",
        table=ProgrammeCoordinator,
        subject_columns=("user_id",),
        personal_columns=("user_id",),
        purpose="Bepalen welke coördinator welke cohorten beheert",
        legal_basis=TASK,
        retention="Zolang de persoon coördinator is",
    ),
    DataKind(
        key="inschrijvingen",
        title="Inschrijvingen (cohort, werkplek, praktijkbegeleider, beoordelaar)",
        table=Enrolment,
        subject_columns=("student_id",),
        personal_columns=("student_id", "workplace", "supervisor_id", "assessor_id"),
        purpose="Begeleiding en beoordeling organiseren; wie welke student mag zien",
        legal_basis=TASK,
        retention=RECORDS_RETENTION,
        retention_setting="retention_records_years",
        retention_default=7,
    ),
    DataKind(
        key="praktijkbegeleider_koppelingen",
        title="Koppelingen met een praktijkbegeleider (voorstel, goedkeuring, wie besliste)",
        table=SupervisorAssignment,
        subject_columns=("student_id", "supervisor_id"),
        personal_columns=(
            "student_id",
            "supervisor_id",
            "name",
            "email",
            "function",
            "workplace",
            "proposed_by_id",
            "decided_by_id",
            "reason",
            "ended_by_id",
        ),
        purpose="Vastleggen wie het werk van een student in de praktijk mag aftekenen en wie dat besliste",
        legal_basis=TASK,
        retention=RECORDS_RETENTION,
        retention_setting="retention_records_years",
        retention_default=7,
    ),
    DataKind(
        key="bewijsstukken",
        title="Bewijsstukken",
        table=Evidence,
        subject_columns=("student_id",),
        personal_columns=("student_id",),
        purpose="Het portfolio: aantonen dat de student de eindtermen beheerst",
        legal_basis=TASK,
        retention=EVIDENCE_RETENTION,
        retention_setting="retention_evidence_months_after_decision",
        retention_default=12,
    ),
    DataKind(
        key="bewijsversies",
        title="Versies van bewijsstukken (titel, reflectie, links)",
        table=EvidenceVersion,
        subject_columns=(),
        personal_columns=("title", "reflection", "links", "created_by"),
        purpose="Het portfolio; wat is ingediend blijft precies zoals het was",
        legal_basis=TASK,
        retention=EVIDENCE_RETENTION,
        retention_setting="retention_evidence_months_after_decision",
        retention_default=12,
        via=("evidence_id", "bewijsstukken"),
    ),
    DataKind(
        key="bestandsgegevens",
        title="Gegevens van geüploade bestanden (bestandsnaam, grootte, SHA-256)",
        table=Blob,
        subject_columns=("student_id",),
        personal_columns=("student_id", "original_name", "download_name"),
        purpose="Bestanden bij bewijsstukken terugvinden en controleren",
        legal_basis=TASK,
        retention=EVIDENCE_RETENTION,
        retention_setting="retention_evidence_months_after_decision",
        retention_default=12,
    ),
    DataKind(
        key="bewijsbestanden",
        title="Bestanden bij bewijsstukken",
        table=EvidenceFile,
        subject_columns=(),
        personal_columns=(),
        purpose="Welke bestanden bij welke versie horen",
        legal_basis=TASK,
        retention=EVIDENCE_RETENTION,
        retention_setting="retention_evidence_months_after_decision",
        retention_default=12,
        via=("version_id", "bewijsversies"),
    ),
    DataKind(
        key="koppelingen",
        title="Koppelingen aan eindtermen met onderbouwing",
        table=EvidenceLink,
        subject_columns=(),
        personal_columns=("justification",),
        purpose="Het portfolio: waarom een bewijsstuk een eindterm aantoont",
        legal_basis=TASK,
        retention=EVIDENCE_RETENTION,
        retention_setting="retention_evidence_months_after_decision",
        retention_default=12,
        via=("version_id", "bewijsversies"),
    ),
    DataKind(
        key="methoden",
        title="Toegepaste methoden per versie van een bewijsstuk",
        table=EvidenceMethod,
        subject_columns=(),
        personal_columns=(),
        purpose="Het portfolio: welke methodiek de student toepaste",
        legal_basis=TASK,
        retention=EVIDENCE_RETENTION,
        retention_setting="retention_evidence_months_after_decision",
        retention_default=12,
        via=("version_id", "bewijsversies"),
    ),
    DataKind(
        key="indieningen",
        title="Indieningen ter aftekening",
        table=Submission,
        subject_columns=("student_id",),
        personal_columns=("student_id", "supervisor_id", "message"),
        purpose="Aftekening door de praktijkbegeleider van precies wat is ingediend",
        legal_basis=TASK,
        retention=RECORDS_RETENTION,
        retention_setting="retention_records_years",
        retention_default=7,
    ),
    DataKind(
        key="slots",
        title="Stand per eindterm (slot)",
        table=Slot,
        subject_columns=("student_id",),
        personal_columns=("student_id",),
        purpose="Voortgang tonen aan student, begeleiders en coördinator",
        legal_basis=TASK,
        retention=RECORDS_RETENTION,
        retention_setting="retention_records_years",
        retention_default=7,
    ),
    DataKind(
        key="aftekeningen",
        title="Aftekeningen (besluit, toelichting, wie)",
        table=SignOff,
        subject_columns=("student_id",),
        personal_columns=(
            "student_id",
            "comment",
            "decided_by_id",
            "decided_by_name",
            "decided_by_email",
            "decided_by_function",
        ),
        purpose="Vastleggen dat de praktijk een eindterm heeft aangetoond",
        legal_basis=TASK,
        retention=RECORDS_RETENTION,
        retention_setting="retention_records_years",
        retention_default=7,
    ),
    DataKind(
        key="links",
        title="Persoonlijke links van praktijkbegeleiders",
        table=SupervisorLink,
        subject_columns=("supervisor_id",),
        personal_columns=("supervisor_id", "created_by_id"),
        purpose="Aftekenen zonder account",
        legal_basis=TASK,
        retention="Tot de link verloopt ({n} dagen) of wordt ingetrokken",
        retention_setting="supervisor_link_days",
        retention_default=14,
        secret_columns=("token_hash",),
    ),
    DataKind(
        key="herinneringen",
        title="Verstuurde herinneringen en escalaties",
        table=Reminder,
        subject_columns=(),
        personal_columns=(),
        purpose="Eén herinnering per indiening, niet meer",
        legal_basis=TASK,
        retention=RECORDS_RETENTION,
        retention_setting="retention_records_years",
        retention_default=7,
        via=("submission_id", "indieningen"),
    ),
    DataKind(
        key="beoordelingen",
        title="Beoordelingen (score en feedback)",
        table=Assessment,
        subject_columns=("student_id",),
        personal_columns=("student_id", "feedback", "assessor_id"),
        purpose="Beoordeling door school, onderdeel van het examendossier",
        legal_basis=LEGAL,
        retention=RECORDS_RETENTION,
        retention_setting="retention_records_years",
        retention_default=7,
    ),
    DataKind(
        key="zelfbeoordelingen",
        title="Zelfbeoordelingen van studenten (niveau en motivatie)",
        table=SelfAssessment,
        subject_columns=("student_id",),
        personal_columns=("student_id", "motivation"),
        purpose="Het leergesprek: de student legt een eigen oordeel naast dat van praktijkbegeleider en beoordelaar",
        legal_basis=TASK,
        retention=RECORDS_RETENTION,
        retention_setting="retention_records_years",
        retention_default=7,
    ),
    DataKind(
        key="vervangende_opdrachten",
        title="Goedgekeurde vervangende opdrachten",
        table=SubstituteApproval,
        subject_columns=("student_id",),
        personal_columns=("student_id", "description", "approved_by_id"),
        purpose="Een eindterm die op de werkplek niet kan, anders laten aantonen",
        legal_basis=TASK,
        retention=RECORDS_RETENTION,
        retention_setting="retention_records_years",
        retention_default=7,
    ),
    DataKind(
        key="gereedheidsbesluiten",
        title="Gereedheidsbesluiten, bevestigingen en heropeningen",
        table=ReadinessEvent,
        subject_columns=("student_id",),
        personal_columns=("student_id", "actor_id", "reason"),
        purpose="Het diplomabesluit (vier ogen) vastleggen",
        legal_basis=LEGAL,
        retention=RECORDS_RETENTION,
        retention_setting="retention_records_years",
        retention_default=7,
    ),
    DataKind(
        key="dossiers",
        title="Dossiers voor de examencommissie (PDF, ZIP, manifest)",
        table=Dossier,
        subject_columns=("student_id",),
        personal_columns=("student_id", "requested_by_id", "manifest"),
        purpose="Verantwoording aan de examencommissie",
        legal_basis=LEGAL,
        retention=RECORDS_RETENTION,
        retention_setting="retention_records_years",
        retention_default=7,
    ),
    DataKind(
        key="praktijkuren",
        title="Praktijkuren (datum, uren, activiteit, werkplek, cliëntcodes)",
        table=PracticeHours,
        subject_columns=("student_id",),
        personal_columns=("student_id", "activity", "workplace", "client_codes", "supervisor_id"),
        purpose="Aantonen dat de student de vereiste praktijkuren maakte",
        legal_basis=TASK,
        retention=RECORDS_RETENTION,
        retention_setting="retention_records_years",
        retention_default=7,
    ),
    DataKind(
        key="urenherinneringen",
        title="Verstuurde herinneringen en escalaties over praktijkuren",
        table=HoursReminder,
        subject_columns=(),
        personal_columns=(),
        purpose="Eén herinnering per ingediende urenregel, niet meer",
        legal_basis=TASK,
        retention=RECORDS_RETENTION,
        retention_setting="retention_records_years",
        retention_default=7,
        via=("entry_id", "praktijkuren"),
    ),
    DataKind(
        key="urenbesluiten",
        title="Besluiten over praktijkuren (goedgekeurd of terug, wie)",
        table=HoursDecision,
        subject_columns=("student_id",),
        personal_columns=(
            "student_id",
            "comment",
            "decided_by_id",
            "decided_by_name",
            "decided_by_email",
            "decided_by_function",
        ),
        purpose="Vastleggen dat de praktijkbegeleider de uren bevestigde",
        legal_basis=TASK,
        retention=RECORDS_RETENTION,
        retention_setting="retention_records_years",
        retention_default=7,
    ),
    DataKind(
        key="deskundigheid",
        title="Deskundigheidsbevordering en diploma's (titel, aanbieder, uren/EC, toelichting, certificaat)",
        table=DevelopmentEntry,
        subject_columns=("student_id",),
        personal_columns=("student_id", "title", "provider", "note", "blob_id", "created_by"),
        purpose="Aantonen dat de student aan de vooropleidings- en scholingseisen voldoet",
        legal_basis=TASK,
        retention=RECORDS_RETENTION,
        retention_setting="retention_records_years",
        retention_default=7,
    ),
    DataKind(
        key="deskundigheid_ingetrokken",
        title="Ingetrokken regels van de deskundigheidsbevordering (met reden)",
        table=DevelopmentWithdrawal,
        subject_columns=("student_id",),
        personal_columns=("student_id", "reason", "created_by"),
        purpose="De geschiedenis van de deskundigheidsbevordering bewaren",
        legal_basis=TASK,
        retention=RECORDS_RETENTION,
        retention_setting="retention_records_years",
        retention_default=7,
    ),
    DataKind(
        key="mail",
        title="Uitgaande e-mail (outbox)",
        table=OutboxMessage,
        subject_columns=(),
        personal_columns=("to_address", "subject", "body"),
        purpose="Meldingen, herinneringen en links versturen",
        legal_basis=CONTRACT,
        retention="Tot verzonden, daarna opgeschoond",
        subject_email_columns=("to_address",),
        secret_columns=("body",),  # may hold a live login or reset link
    ),
    DataKind(
        key="auditlog",
        title="Auditlog (wie deed wat, wanneer)",
        table=AuditEvent,
        subject_columns=("actor_id",),
        personal_columns=("actor_id", "data"),
        purpose="Verantwoording en beveiliging; de keten laat elke wijziging zien",
        legal_basis=INTEREST,
        retention=RECORDS_RETENTION,
        retention_setting="retention_records_years",
        retention_default=7,
        subject_object=("object_type", "object_id", ("student", "user")),
    ),
    DataKind(
        key="inzagelog",
        title="Inzagelog (wie bekeek welk portfolio)",
        table=AccessEvent,
        subject_columns=("student_id",),
        personal_columns=("student_id", "viewer_id", "viewer_roles"),
        purpose="De student laten zien wie zijn of haar gegevens bekeek (inzagerecht); misbruik opsporen",
        legal_basis=INTEREST,
        retention="{n} maanden",
        retention_setting="retention_access_log_months",
        retention_default=24,
    ),
    DataKind(
        key="exports",
        title="Exports van persoonsgegevens",
        table=PrivacyExport,
        subject_columns=("subject_id",),
        personal_columns=("subject_id", "requested_by_id", "summary"),
        purpose="Recht op inzage en overdraagbaarheid (art. 15 en 20 AVG)",
        legal_basis="Wettelijke verplichting (art. 6 lid 1 sub c AVG): art. 15 en 20 AVG",
        retention="{n} dagen, daarna wordt het ZIP-bestand verwijderd",
        retention_setting="retention_export_days",
        retention_default=7,
    ),
    # --- kinds of stored files (in local storage or the S3 bucket) ---
    DataKind(
        key="bestanden",
        title="Geüploade bestanden: bij bewijsstukken (documenten, foto's, audio, video) en certificaten",
        table=None,
        subject_columns=(),
        personal_columns=(),
        purpose="Het portfolio: bewijs uit de praktijk (van foto's wordt de locatie vóór het opslaan verwijderd)",
        legal_basis=TASK,
        retention=EVIDENCE_RETENTION,
        retention_setting="retention_evidence_months_after_decision",
        retention_default=12,
    ),
    DataKind(
        key="dossierbestanden",
        title="Dossier-PDF's en -ZIP's voor de examencommissie",
        table=None,
        subject_columns=(),
        personal_columns=(),
        purpose="Verantwoording aan de examencommissie",
        legal_basis=LEGAL,
        retention=RECORDS_RETENTION,
        retention_setting="retention_records_years",
        retention_default=7,
    ),
    DataKind(
        key="exportbestanden",
        title="ZIP-bestanden van exports",
        table=None,
        subject_columns=(),
        personal_columns=(),
        purpose="Recht op inzage en overdraagbaarheid",
        legal_basis="Wettelijke verplichting (art. 6 lid 1 sub c AVG): art. 15 en 20 AVG",
        retention="{n} dagen",
        retention_setting="retention_export_days",
        retention_default=7,
    ),
)

# Tables without personal data, each with the reason; a new table must be added here or to REGISTER.
NOT_PERSONAL: dict[str, str] = {
    "programme": "Naam en instelling van een opleiding: geen personen",
    "cohort": "Naam, data en kaderversie van een cohort: geen personen",
    "programme_institution": "Welke instellingen voor een opleiding mogen inloggen: geen personen",
    "lti_platform": "Een geregistreerd leerplatform (LTI): adressen en id's van het platform, geen personen",
    "lti_tool_key": "De sleutels waarmee het portfolio als LTI-tool ondertekent (versleuteld): geen personen",
    "lti_context": "Welke cursus van een leerplatform bij welk cohort hoort: geen personen",
    "audit_chain_head": "Alleen het nummer, de hash en het aantal auditregels, met een HMAC van de kop",
}

# Columns that the name rules flag, but that hold no personal data.
NOT_PERSONAL_COLUMNS: dict[tuple[str, str], str] = {
    ("programme", "name"): "de naam van een opleiding",
    ("programme", "institution"): "de naam van een onderwijsinstelling",
    ("cohort", "name"): "de naam van een cohort, bijv. 2026-A",
    ("lti_context", "title"): "de naam van een cursus in het leerplatform",
    ("assessment", "rubric"): "de criteria van de rubric (tekst uit het kader) en welke zijn afgevinkt",
}


def by_key(key: str) -> DataKind:
    for kind in REGISTER:
        if kind.key == key:
            return kind
    raise KeyError(key)


def table_kinds() -> list[DataKind]:
    return [kind for kind in REGISTER if kind.table is not None]


def check_register(metadata: MetaData, register: tuple[DataKind, ...] = REGISTER) -> list[str]:
    """Every table decided on, every personal column listed, every named column real. Empty when all is well."""
    problems: list[str] = []
    registered: dict[str, DataKind] = {}
    keys = {kind.key for kind in register}
    for kind in register:
        if kind.table is None:
            continue
        name = kind.table_name or ""
        if name in registered:
            problems.append(f"{name}: twee keer in het register ({registered[name].key}, {kind.key})")
        registered[name] = kind
        if kind.via is not None and kind.via[1] not in keys:
            problems.append(f"{name}: 'via' verwijst naar onbekende soort {kind.via[1]!r}")
    for name, table in metadata.tables.items():
        personal = [c for c in personal_columns_of(table) if (name, c) not in NOT_PERSONAL_COLUMNS]
        found = registered.get(name)
        if found is None:
            if name not in NOT_PERSONAL:
                problems.append(f"{name}: niet in het register en niet in NOT_PERSONAL (persoonsgegevens: {personal})")
            elif personal:
                problems.append(f"{name}: staat in NOT_PERSONAL maar heeft persoonsgegevens: {personal}")
            continue
        kind = found
        columns = set(table.columns.keys())
        named = set(kind.subject_columns) | set(kind.personal_columns) | set(kind.subject_email_columns)
        named |= set(kind.secret_columns)
        if kind.via is not None:
            named.add(kind.via[0])
        if kind.subject_object is not None:
            named |= {kind.subject_object[0], kind.subject_object[1]}
        for column in sorted(named - columns):
            problems.append(f"{name}: kolom {column!r} bestaat niet")
        listed = set(kind.personal_columns) | set(kind.subject_columns) | set(kind.secret_columns)
        for column in personal:
            if column not in listed and column != "id":
                problems.append(f"{name}: persoonsgegeven {column!r} staat niet in personal_columns")
        findable = kind.subject_columns or kind.via or kind.subject_email_columns or kind.subject_object
        if kind.traceable and not findable:
            problems.append(f"{name}: geen manier om de betrokkene te vinden (subject_columns, via...)")
    for name in sorted(set(registered) & set(NOT_PERSONAL)):
        problems.append(f"{name}: staat zowel in het register als in NOT_PERSONAL")
    return problems
