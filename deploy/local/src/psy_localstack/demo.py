"""The one demo data set: the ESIA simulator's people and the catalog's psychologists.

Deterministic, so every process that builds it agrees. `people()` gives the small set loaded by
`make up`; `people(psychologists=10_000)` the benchmark set. Account ids are derived from the ESIA
oid exactly as identity derives them (`account_id`), so catalog's psychologist ids match identity's
accounts without either reading the other's data.
"""

import random
import uuid
from dataclasses import dataclass
from datetime import date
from functools import cache

ESIA_NAMESPACE = uuid.UUID("6f1c1d2e-8a4b-4c1e-9a51-0e4f2b7c9d10")


def account_id(oid: str) -> uuid.UUID:
    return uuid.uuid5(ESIA_NAMESPACE, f"esia:{oid}")


@dataclass(frozen=True)
class Region:
    name: str
    timezone: str
    city: str


SAMARA = Region("Самарская область", "Europe/Samara", "Самара")
PRIMORYE = Region("Приморский край", "Asia/Vladivostok", "Владивосток")
KALININGRAD = Region("Калининградская область", "Europe/Kaliningrad", "Калининград")
NOVOSIBIRSK = Region("Новосибирская область", "Asia/Novosibirsk", "Новосибирск")
REGIONS = (SAMARA, PRIMORYE, KALININGRAD, NOVOSIBIRSK)


@dataclass(frozen=True)
class Person:
    oid: str
    role: str  # parent | child | psychologist | admin
    last_name: str
    first_name: str
    middle_name: str
    birth_date: date
    email: str | None
    region: Region
    school: str | None = None
    children: tuple[str, ...] = ()  # oids, as ESIA lists a person's kids

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)

    @property
    def id(self) -> uuid.UUID:
        return account_id(self.oid)


FIXED = (
    Person(
        "1000001",
        "parent",
        "Петрова",
        "Анна",
        "Сергеевна",
        date(1985, 3, 14),
        "anna.petrova@demo.test",
        SAMARA,
        children=("1000011", "1000012"),
    ),
    Person("1000011", "child", "Петров", "Михаил", "Андреевич", date(2016, 5, 12), None, SAMARA),
    Person(
        "1000012",
        "child",
        "Петрова",
        "Алиса",
        "Андреевна",
        date(2010, 9, 1),
        "alisa.petrova@demo.test",
        SAMARA,
    ),
    Person(
        "1000002",
        "parent",
        "Соколов",
        "Дмитрий",
        "Иванович",
        date(1980, 11, 2),
        "dmitry.sokolov@demo.test",
        SAMARA,
    ),
    Person(
        "1000003",
        "parent",
        "Кузнецова",
        "Ольга",
        "Николаевна",
        date(1983, 7, 21),
        "olga.kuznetsova@demo.test",
        PRIMORYE,
        children=("1000013",),
    ),
    Person(
        "1000013",
        "child",
        "Кузнецов",
        "Артём",
        "Павлович",
        date(2011, 2, 10),
        "artem.kuznetsov@demo.test",
        PRIMORYE,
    ),
    Person(
        "1000090",
        "admin",
        "Васильева",
        "Елена",
        "Викторовна",
        date(1979, 1, 30),
        "elena.vasilieva@demo.test",
        SAMARA,
    ),
    Person(
        "2000001",
        "psychologist",
        "Иванова",
        "Мария",
        "Петровна",
        date(1988, 4, 5),
        "maria.ivanova@demo.test",
        SAMARA,
        school="МБОУ «Школа № 12» г. Самара",
    ),
    Person(
        "2000002",
        "psychologist",
        "Смирнова",
        "Алёна",
        "Игоревна",
        date(1992, 8, 17),
        "alena.smirnova@demo.test",
        SAMARA,
        school="МБОУ «Лицей № 3» г. Самара",
    ),
    Person(
        "2000003",
        "psychologist",
        "Иванов",
        "Пётр",
        "Алексеевич",
        date(1984, 12, 1),
        "petr.ivanov@demo.test",
        PRIMORYE,
        school="МБОУ «СОШ № 9» г. Владивосток",
    ),
    Person(
        "2000004",
        "psychologist",
        "Калинина",
        "Ирина",
        "Олеговна",
        date(1990, 6, 9),
        "irina.kalinina@demo.test",
        KALININGRAD,
        school="МАОУ «Гимназия № 1» г. Калининград",
    ),
)

_LAST = (
    "Кузнецова",
    "Попова",
    "Васильева",
    "Соколова",
    "Михайлова",
    "Новикова",
    "Фёдорова",
    "Морозова",
    "Волкова",
    "Алексеева",
    "Лебедева",
    "Семёнова",
    "Егорова",
    "Павлова",
    "Козлова",
    "Степанова",
    "Николаева",
    "Орлова",
    "Андреева",
    "Макарова",
    "Захарова",
)
_FIRST = (
    "Анна",
    "Елена",
    "Ольга",
    "Наталья",
    "Татьяна",
    "Юлия",
    "Светлана",
    "Дарья",
    "Ксения",
    "Екатерина",
    "Виктория",
    "Полина",
    "Алёна",
    "Вера",
    "Людмила",
)
_MIDDLE = (
    "Александровна",
    "Сергеевна",
    "Владимировна",
    "Николаевна",
    "Андреевна",
    "Дмитриевна",
    "Юрьевна",
    "Викторовна",
    "Михайловна",
    "Олеговна",
)
_SCHOOL_KIND = (
    "МБОУ «Школа № {n}»",
    "МБОУ «СОШ № {n}»",
    "МАОУ «Лицей № {n}»",
    "МАОУ «Гимназия № {n}»",
)


def _generated_psychologist(index: int, rng: random.Random) -> Person:
    region = REGIONS[index % len(REGIONS)] if index % 2 else SAMARA  # Samara holds half of them
    school = rng.choice(_SCHOOL_KIND).format(n=rng.randint(1, 180)) + f" г. {region.city}"
    oid = str(2_000_100 + index)
    return Person(
        oid,
        "psychologist",
        rng.choice(_LAST),
        rng.choice(_FIRST),
        rng.choice(_MIDDLE),
        date(rng.randint(1970, 1998), rng.randint(1, 12), rng.randint(1, 28)),
        f"psy{oid}@demo.test",
        region,
        school=school,
    )


@cache
def people(psychologists: int = 50) -> tuple[Person, ...]:
    """The fixed people plus generated psychologists up to `psychologists` in all."""
    rng = random.Random(20261203)
    fixed_psy = sum(1 for p in FIXED if p.role == "psychologist")
    extra = tuple(_generated_psychologist(i, rng) for i in range(max(0, psychologists - fixed_psy)))
    return FIXED + extra


def by_oid(oid: str, psychologists: int = 50) -> Person | None:
    return next((p for p in people(psychologists) if p.oid == oid), None)
