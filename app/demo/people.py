"""The demo's people: school staff, praktijkbegeleiders and students, and the logins `portfolio demo` prints."""

DEMO_PASSWORD = "demo-jobcoach-2026"  # noqa: S105 - printed on purpose for the demo
DOMAIN = "demo.jobcoach.nl"

COORDINATOR = ("Marieke van Dijk", "coordinator")
ADMIN = ("Ruud Hendriks", "beheer")
ASSESSORS = [("Anouk Visser", "a.visser"), ("Henk de Groot", "h.degroot")]
# (name, login, function, workplace)
SUPERVISORS = [
    ("Sandra Mulder", "s.mulder", "Teamleider productie", "Werkbedrijf Lelystad"),
    ("Peter Bakker", "p.bakker", "Bedrijfsleider", "Bakkerij De Korenschoof"),
    ("Fatima El Amrani", "f.elamrani", "Coördinator jobcoaching", "Zorggroep Het Baken"),
    ("Jeroen Smit", "j.smit", "Manager facilitair", "Hotel De Wadden"),
]
STUDENTS = [
    ("Lotte de Vries", "lotte", "500101"),
    ("Daan Jansen", "daan", "500102"),
    ("Sanne Bos", "sanne", "500103"),
    ("Bram Meijer", "bram", "500104"),
    ("Noor Yilmaz", "noor", "500105"),
    ("Thomas van Leeuwen", "thomas", "500106"),
    ("Emma de Boer", "emma", "500107"),
    ("Youssef Haddou", "youssef", "500108"),
    ("Femke Dekker", "femke", "500109"),
    ("Joris Brouwer", "joris", "500110"),
    ("Iris Koster", "iris", "500111"),
    ("Mohamed Aydin", "mohamed", "500112"),
    ("Julia Vermeulen", "julia", "500113"),
    ("Sven Hoekstra", "sven", "500114"),
]

# A student who left the programme long enough ago that retention has something to show: their evidence file is due
# (`portfolio retention run --dry-run` lists it; the run itself deletes it).
LEFT_STUDENT = ("Willem Postma", "willem", "500115")


SEALED_STUDENT = 8  # the index in STUDENTS of the student whose portfolio the demo seals
WAITING_STUDENT = 2  # Sanne Bos: her open request waits longer than a week (the reminders have work)


def email_of(login: str) -> str:
    return f"{login}@{DOMAIN}"


def print_logins() -> None:
    rows = [
        ("opleidingscoördinator", COORDINATOR[0], email_of(COORDINATOR[1])),
        ("beheerder", ADMIN[0], email_of(ADMIN[1])),
        *[("beoordelaar", n, email_of(login)) for n, login in ASSESSORS],
        *[("praktijkbegeleider", n, email_of(login)) for n, login, _, _ in SUPERVISORS],
        *[("student", n, email_of(login)) for n, login, _ in STUDENTS[:3]],
        ("student", LEFT_STUDENT[0], email_of(LEFT_STUDENT[1])),
    ]
    print("\nDemo-logins (wachtwoord voor iedereen: " + DEMO_PASSWORD + ")")
    for role, name, email in rows:
        print(f"  {role:<22} {name:<20} {email}")
    print(f"  … en nog {len(STUDENTS) - 3} studenten (voornaam@{DOMAIN}).")
    print(
        f"  {LEFT_STUDENT[0]} is uitgeschreven, langer geleden dan de bewaartermijn voor bewijsbestanden: "
        "`portfolio retention run --dry-run` toont wat er verwijderd zou worden.\n"
    )
