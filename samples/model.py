"""The generator's in-memory model: reference data, cases, events and disclosures.

Times are local wall-clock ``datetime`` values (Asia/Shanghai); the writers convert them to each
platform's notation (UTC, offsets, Chinese dates ...). Activities use the canonical codes of the
design (SUBMIT, ACCEPT, ...); each writer maps them onto its platform's own labels.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

SERVICE = "service"
ENFORCEMENT = "enforcement"

LICENSING = "行政许可"
NON_LICENSING = "非行政许可"
PENALTY = "行政处罚"

WORKDAY = "工作日"
NATURAL_DAY = "自然日"
MONTH = "月"

PERSON = "person"
ORG = "org"
SOLE_TRADER = "sole_trader"  # 个体工商户: an org-like party with a credit code


@dataclass(frozen=True, slots=True)
class Department:
    code: str
    name: str
    unit_kind: str  # 区直部门 / 街道 / 乡镇
    abbr: str  # used in document numbers, e.g. 市监


@dataclass(frozen=True, slots=True)
class Item:
    code: str
    name: str
    kind: str
    dept_code: str
    legal_limit: int | None
    promised_limit: int | None
    limit_unit: str | None
    fee_standard: int
    fee_basis: str
    required_materials: tuple[str, ...]
    disclosure_limit: int | None
    published: bool
    platforms: tuple[str, ...]
    audience: str  # person / org: who usually applies

    @property
    def is_licensing(self) -> bool:
        return self.kind == LICENSING


@dataclass(frozen=True, slots=True)
class Officer:
    officer_id: str
    name: str
    dept_code: str
    cert_no: str
    valid_from: dt.date | None
    valid_to: dt.date | None

    def certified_on(self, day: dt.date) -> bool:
        if not self.cert_no or self.valid_from is None or self.valid_to is None:
            return False
        return self.valid_from <= day <= self.valid_to


@dataclass(frozen=True, slots=True)
class Discretion:
    violation_code: str
    level: str
    item_code: str
    description: str
    min_fine: int
    max_fine: int


@dataclass(frozen=True, slots=True)
class Party:
    kind: str  # PERSON / ORG / SOLE_TRADER
    name: str
    id_no: str  # resident ID (18 characters) or unified social credit code

    @property
    def masked_id(self) -> str:
        """How a resident ID is published: 2301**********1234. Credit codes are public."""
        if self.kind != PERSON:
            return self.id_no
        return self.id_no[:4] + "*" * 10 + self.id_no[-4:]


@dataclass(slots=True)
class Event:
    activity: str
    ts: dt.datetime
    actor: str = ""
    officers: tuple[str, ...] = ()
    doc_type: str = ""
    doc_no: str = ""
    amount: int | None = None
    note: str = ""

    @property
    def day(self) -> dt.date:
        return self.ts.date()


@dataclass(slots=True)
class Disclosure:
    disclosure_id: str
    published_at: dt.datetime
    decision_no: str
    content: str
    title: str
    party_name: str
    fine: int | None
    cause: str
    withdrawn_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """One expected flag: a ground-truth row."""

    code: str
    level: str
    note: str = ""


@dataclass(slots=True)
class Case:
    index: int
    platform: str
    case_no: str
    item: Item
    party: Party
    case_kind: str = SERVICE
    events: list[Event] = field(default_factory=list)
    submitted_at: dt.datetime | None = None
    close_result: str = ""
    fee_charged: int | None = None
    receipt_no: str = ""
    materials: tuple[str, ...] = ()
    window_no: str = ""
    violation_code: str = ""
    discretion_level: str = ""
    fine_amount: int | None = None
    cause: str = ""
    decision_no: str = ""
    disclosures: list[Disclosure] = field(default_factory=list)
    scenario: str = "clean"
    expected: list[Finding] = field(default_factory=list)
    traps: list[tuple[str, str]] = field(default_factory=list)
    fullwidth: bool = False  # community centre: write every date cell with full-width digits
    text_times: bool = False  # citizen centre: write times as text instead of Excel datetimes

    @property
    def case_id(self) -> str:
        return f"{self.platform}:{self.case_no}"

    @property
    def dept_code(self) -> str:
        return self.item.dept_code

    def first(self, activity: str) -> Event | None:
        for event in self.events:
            if event.activity == activity:
                return event
        return None

    @property
    def accepted_at(self) -> dt.datetime | None:
        event = self.first("ACCEPT")
        return event.ts if event else None

    @property
    def closed_at(self) -> dt.datetime | None:
        event = self.first("CLOSE")
        return event.ts if event else None
