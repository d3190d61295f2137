"""The reference model of the sample district (平房区): units, the item catalogue, officers, discretion.

It mirrors the district report: 46 units (区直部门, 街道, 乡镇); 389 service items, 162 行政许可 and
227 非行政许可 (all of the latter on the online hall); the enterprise centre's 10 units, 13 windows
and 69 items; the citizen centre's 7 departments; community centres run by the streets and towns;
and 行政处罚 items with discretion ranges for the law-enforcement system. A few deliberate catalogue
faults are part of the district: items whose promised limit exceeds the legal one, and items that
are handled but missing from the published catalogue.

The district does not depend on the generator's seed: every sample has the same reference data.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from dataclasses import dataclass, field

from samples import catalogue as cat
from samples.model import (
    LICENSING,
    MONTH,
    NATURAL_DAY,
    NON_LICENSING,
    ORG,
    PENALTY,
    PERSON,
    WORKDAY,
    Department,
    Discretion,
    Item,
    Officer,
)
from samples.names import person_name

DISTRICT_SEED = 230108
SERVICE_PLATFORMS = ("qyzx", "mszx", "sqzx", "wsdt", "xtbg")
LEVELS = ("一般", "较重", "严重")
CERT_FIRST = dt.date(2025, 1, 1)
CERT_LAST = dt.date(2026, 12, 31)
EXPIRED_ON = dt.date(2025, 12, 31)  # the certificate of each unit's 10th officer ends here
NEW_CERT_FROM = dt.date(2026, 3, 1)  # the 11th officer's certificate starts here

PERSON_LICENSING = {
    "教师资格认定", "医师执业注册", "护士执业注册", "出租汽车驾驶员从业资格注册", "基层法律服务工作者执业核准",
    "林木采伐许可",
}
ORG_SERVICES = {
    "股权出质登记", "动产抵押登记", "税务登记信息确认", "发票领用", "建设工程竣工验收备案", "对外贸易经营者备案",
    "生产安全事故应急预案备案", "医疗机构校验", "科技型中小企业评价", "机动车驾驶员培训备案", "社区用房临时使用登记",
}


@dataclass
class District:
    departments: list[Department]
    items: list[Item]
    officers: list[Officer]
    discretion: list[Discretion]
    windows: dict[str, list[str]]
    platform_items: dict[str, list[Item]] = field(default_factory=dict)
    unpublished: dict[str, list[Item]] = field(default_factory=dict)
    regular_officers: dict[str, list[Officer]] = field(default_factory=dict)
    special_officers: dict[str, dict[str, Officer]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.items_by_code = {item.code: item for item in self.items}
        self.dept_by_code = {d.code: d for d in self.departments}
        self.officer_by_id = {o.officer_id: o for o in self.officers}
        self.discretion_by_key = {(d.violation_code, d.level): d for d in self.discretion}
        self.discretion_by_item: dict[str, list[Discretion]] = {}
        for row in self.discretion:
            self.discretion_by_item.setdefault(row.item_code, []).append(row)
        for item in self.items:
            target = self.platform_items if item.published else self.unpublished
            for platform in item.platforms:
                target.setdefault(platform, []).append(item)
        for officer in self.officers:
            number = int(officer.officer_id[-3:])
            if number <= 9:
                self.regular_officers.setdefault(officer.dept_code, []).append(officer)
            else:
                kind = {10: "expired", 11: "not_yet_valid", 12: "no_certificate"}[number]
                self.special_officers.setdefault(officer.dept_code, {})[kind] = officer

    @property
    def promise_above_legal(self) -> list[Item]:
        return [i for i in self.items if i.legal_limit is not None and i.promised_limit is not None
                and i.limit_unit == WORKDAY and i.promised_limit > i.legal_limit]


def unit_code(suffix: str) -> str:
    return f"{cat.DISTRICT_CODE}{suffix}"


def _departments() -> list[Department]:
    units = [Department(unit_code(s), f"{cat.DISTRICT}{n[1:]}" if n.startswith("区") else n, "区直部门", a)
             for s, n, a in cat.DISTRICT_UNITS]
    units += [Department(unit_code(s), n, "街道", a) for s, n, a in cat.STREETS]
    units += [Department(unit_code(s), n, "乡镇", a) for s, n, a in cat.TOWNS]
    return units


def _expand(bases: dict[str, list[str]], variants: list[str], count: int) -> list[tuple[str, str]]:
    """(unit suffix, name) pairs: every base, then base + variant round by round, to ``count``."""
    flat = [(unit, name) for unit, names in bases.items() for name in names]
    result: list[tuple[str, str]] = []
    for variant in variants:
        for unit, name in flat:
            if len(result) == count:
                return result
            result.append((unit, name + variant))
    if len(result) < count:
        raise ValueError(f"not enough item names for {count} items")
    return result


def _base(name: str) -> str:
    return name.split("（")[0]


class _ItemFactory:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.sequence: dict[tuple[str, str], int] = {}
        self.items: list[Item] = []

    def code(self, kind_code: str, unit: str) -> str:
        key = (kind_code, unit)
        self.sequence[key] = self.sequence.get(key, 0) + 1
        return f"{cat.DISTRICT_CODE}-{kind_code}-{unit}-{self.sequence[key]:03d}"

    def limits(self, kind: str, base: str) -> tuple[int, int, str]:
        rng = self.rng
        if base in cat.MONTH_ITEMS:
            return 1, 1, MONTH
        if base in cat.NATURAL_DAY_ITEMS:
            return 30, rng.choice([15, 20]), NATURAL_DAY
        if kind == LICENSING:
            legal = rng.choices([20, 15, 10], weights=[6, 2, 2])[0]
        else:
            legal = rng.choices([20, 15, 10, 5], weights=[3, 3, 3, 1])[0]
        options = {20: [10, 12, 15], 15: [8, 10], 10: [5, 7], 5: [3]}[legal]
        promised = legal if rng.random() < 0.1 else rng.choice(options)
        return legal, promised, WORKDAY

    def materials(self, audience: str) -> tuple[str, ...]:
        rng = self.rng
        if audience == ORG:
            return ("申请书", *rng.sample(cat.MATERIALS_ORG[1:], rng.randint(2, 4)))
        return ("申请表", "居民身份证", *rng.sample(cat.MATERIALS_PERSON[2:], rng.randint(1, 2)))

    def add(self, kind: str, unit: str, name: str, platforms: tuple[str, ...], published: bool = True) -> Item:
        rng = self.rng
        base = _base(name)
        if kind == LICENSING:
            audience = PERSON if base in PERSON_LICENSING else ORG
        else:
            audience = ORG if base in ORG_SERVICES else PERSON
        legal, promised, unit_name = self.limits(kind, base)
        fee_rate = 0.25 if kind == LICENSING else 0.1
        fee, basis = rng.choice(cat.FEE_CHOICES) if rng.random() < fee_rate else (0, "")
        disclosure = (7 if rng.random() < 0.2 else 3) if kind == LICENSING else None
        item = Item(
            code=self.code("XK" if kind == LICENSING else "FW", unit), name=name, kind=kind,
            dept_code=unit_code(unit), legal_limit=legal, promised_limit=promised, limit_unit=unit_name,
            fee_standard=fee, fee_basis=basis, required_materials=self.materials(audience),
            disclosure_limit=disclosure, published=published, platforms=platforms, audience=audience,
        )
        self.items.append(item)
        return item


def _service_items(rng: random.Random) -> list[Item]:
    factory = _ItemFactory(rng)
    groups: list[tuple[str, dict[str, list[str]], list[str], int, tuple[str, ...]]] = [
        (LICENSING, cat.LICENSING_ENTERPRISE, cat.LICENSING_VARIANTS, 52, ("qyzx",)),
        (LICENSING, cat.LICENSING_CITIZEN, cat.LICENSING_VARIANTS, 20, ("mszx",)),
        (LICENSING, cat.LICENSING_OFFICE, cat.LICENSING_VARIANTS, 90, ("xtbg",)),
        (NON_LICENSING, cat.SERVICE_ENTERPRISE, cat.SERVICE_VARIANTS, 17, ("qyzx", "wsdt")),
        (NON_LICENSING, cat.SERVICE_CITIZEN, cat.SERVICE_VARIANTS, 60, ("mszx", "wsdt")),
    ]
    for kind, bases, variants, count, platforms in groups:
        for unit, name in _expand(bases, variants, count):
            factory.add(kind, unit, name, platforms)
    for suffix, _name, _abbr in cat.STREETS + cat.TOWNS:
        for name in cat.SERVICE_COMMUNITY:
            factory.add(NON_LICENSING, suffix, name, ("sqzx", "wsdt"))
    for unit, name in _expand(cat.SERVICE_ONLINE, cat.SERVICE_VARIANTS, 110):
        factory.add(NON_LICENSING, unit, name, ("wsdt",))
    # Catalogue faults: a promised limit longer than the legal one (K_PROMISE_ABOVE_LEGAL).
    items = factory.items
    faulty = [i for i in items if i.platforms == ("xtbg",) and i.limit_unit == WORKDAY][5:7]
    faulty += [i for i in items if i.platforms == ("wsdt",) and i.limit_unit == WORKDAY][3:4]
    for item in faulty:
        index = items.index(item)
        items[index] = dataclasses.replace(item, legal_limit=10, promised_limit=15)
    for unit, name, kind, platform in cat.UNPUBLISHED_ITEMS:
        factory.add(kind, unit, name, (platform,), published=False)
    return factory.items


def _penalty_items(rng: random.Random) -> tuple[list[Item], list[Discretion]]:
    items: list[Item] = []
    rows: list[Discretion] = []
    for unit, conducts in cat.PENALTY_CONDUCTS.items():
        for seq, conduct in enumerate(conducts, start=1):
            code = f"{cat.DISTRICT_CODE}-CF-{unit}-{seq:03d}"
            items.append(Item(
                code=code, name=f"对{conduct}的行政处罚", kind=PENALTY, dept_code=unit_code(unit),
                legal_limit=90, promised_limit=90, limit_unit=NATURAL_DAY, fee_standard=0, fee_basis="",
                required_materials=(), disclosure_limit=3, published=True, platforms=("zfba",), audience=ORG,
            ))
            base = rng.choice([500, 1000, 2000, 5000, 10000])
            bounds = {"一般": (base, 3 * base), "较重": (3 * base, 6 * base), "严重": (6 * base, 10 * base)}
            violation = f"WF{unit}{seq:03d}"
            for level in LEVELS:
                low, high = bounds[level]
                rows.append(Discretion(violation, level, code, f"{conduct}，情节{level}", low, high))
    return items, rows


def _officers(rng: random.Random) -> list[Officer]:
    officers: list[Officer] = []
    for unit in cat.ENFORCEMENT_UNITS:
        for number in range(1, 13):
            officer_id = f"ZF{unit}{number:03d}"
            cert = f"2301{unit}{number:04d}"
            valid_from: dt.date | None = CERT_FIRST
            valid_to: dt.date | None = CERT_LAST
            if number == 10:
                valid_to = EXPIRED_ON
            elif number == 11:
                valid_from = NEW_CERT_FROM
            elif number == 12:
                cert, valid_from, valid_to = "", None, None  # an assistant (协管员) without a certificate
            officers.append(Officer(officer_id, person_name(rng), unit_code(unit), cert, valid_from, valid_to))
    return officers


def build_district() -> District:
    rng = random.Random(DISTRICT_SEED)
    departments = _departments()
    service = _service_items(rng)
    penalty, discretion = _penalty_items(rng)
    officers = _officers(rng)
    windows: dict[str, list[str]] = {}
    number = 0
    for unit, count in cat.ENTERPRISE_UNITS.items():
        windows[unit_code(unit)] = [f"{number + k + 1:02d}" for k in range(count)]
        number += count
    return District(departments, service + penalty, officers, discretion, windows)
