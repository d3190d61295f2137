"""The canonical targets of ingest: which fields each record type has, and what kind they are.

A mapping file names source columns for these fields; the kind of a field decides how its text is
cleaned and converted (see :mod:`ingest.normalise`). Field names are the column names of the
canonical tables in ``sunlight/migrations/0001_canonical.sql``, except for a few fields that are
only inputs to derived columns (``applicant_id``, ``activity``, ``case_system``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class Kind(StrEnum):
    """How a field's text is cleaned and converted."""

    TEXT = "text"            # trimmed; stored as written
    CODE = "code"            # trimmed; full-width digits and punctuation folded to ASCII
    ID_NUMBER = "id_number"  # an identity number: stored masked and hashed, never whole
    TIMESTAMP = "timestamp"  # local wall-clock time after time-zone conversion
    DATE = "date"
    DECIMAL = "decimal"      # DECIMAL(14, 2)
    INTEGER = "integer"
    BOOLEAN = "boolean"
    LIST = "list"            # split on the mapping's list_separator, or a JSON array
    ACTIVITY = "activity"    # a platform activity name, translated to a canonical code


# Kinds whose text has full-width digits and punctuation folded to ASCII before conversion.
FOLDED = frozenset({Kind.CODE, Kind.ID_NUMBER, Kind.TIMESTAMP, Kind.DATE, Kind.DECIMAL, Kind.INTEGER})


@dataclass(frozen=True)
class Field:
    kind: Kind
    not_null: bool = False   # the canonical column is NOT NULL, so a value is always required


@dataclass(frozen=True)
class Target:
    """One record type: the canonical table it fills and the fields a mapping may give it."""

    record: str
    table: str
    label: str                      # Chinese name shown to users
    fields: Mapping[str, Field]
    key: tuple[str, ...]            # canonical key; a second row with the same key is a duplicate
    phase: int                      # load order: reference data, then cases, events, disclosures


def _fields(**kinds: Field) -> Mapping[str, Field]:
    return MappingProxyType(kinds)


T, C, TS = Field(Kind.TEXT), Field(Kind.CODE), Field(Kind.TIMESTAMP)
T1, C1, TS1 = Field(Kind.TEXT, True), Field(Kind.CODE, True), Field(Kind.TIMESTAMP, True)
DEC, DEC1, INT = Field(Kind.DECIMAL), Field(Kind.DECIMAL, True), Field(Kind.INTEGER)

TARGETS: Mapping[str, Target] = MappingProxyType({
    "departments": Target("departments", "departments", "单位", _fields(
        dept_code=C1, name=T1, unit_kind=T1), ("dept_code",), 0),
    "items": Target("items", "items", "事项", _fields(
        item_code=C1, name=T1, kind=T1, dept_code=C1, legal_limit=INT, promised_limit=INT,
        limit_unit=C, fee_standard=DEC1, fee_basis=T, required_materials=Field(Kind.LIST),
        disclosure_limit=INT, published=Field(Kind.BOOLEAN, True), platforms=Field(Kind.LIST, True),
    ), ("item_code",), 1),
    "officers": Target("officers", "officers", "执法人员", _fields(
        officer_id=C1, name=T1, dept_code=C1, cert_no=C, cert_valid_from=Field(Kind.DATE),
        cert_valid_to=Field(Kind.DATE)), ("officer_id",), 2),
    "discretion": Target("discretion", "discretion", "裁量基准", _fields(
        violation_code=C1, level=T1, item_code=C1, description=T, min_fine=DEC1, max_fine=DEC1,
    ), ("violation_code", "level"), 3),
    "cases": Target("cases", "cases", "办件", _fields(
        source_case_no=C1, item_code=C1, dept_code=C1, case_kind=C1, applicant_type=C,
        applicant_name=T, applicant_id=Field(Kind.ID_NUMBER), submitted_at=TS, accepted_at=TS,
        closed_at=TS, close_result=T, fee_charged=DEC, receipt_no=C, materials=Field(Kind.LIST),
        violation_code=C, discretion_level=T, fine_amount=DEC, cause=T, decision_no=C, window_no=C,
    ), ("case_id",), 4),
    "events": Target("events", "events", "办理过程", _fields(
        source_case_no=C1, activity=Field(Kind.ACTIVITY, True), ts=TS1, actor_id=C,
        officer_ids=Field(Kind.LIST), dept_code=C, document_type=T, document_no=C, amount=DEC,
    ), ("event_id",), 5),
    "disclosures": Target("disclosures", "disclosures", "公示", _fields(
        disclosure_id=C1, case_system=C, source_case_no=C, decision_no=C1, published_at=TS1,
        withdrawn_at=TS, url=T, title=T, party_name=T, fine_amount=DEC, cause=T, content=T1,
    ), ("disclosure_id",), 6),
})

REFERENCE_RECORDS = ("departments", "items", "officers", "discretion")



def target(record: str) -> Target:
    return TARGETS[record]
