"""Masking personal data for the public: ID numbers, phone numbers, names of natural persons.

Organisations' names stay as published. A resident ID keeps its first 6 and last 4 characters
(230108********4517), a mobile number its first 3 and last 4 (139****2345), a person's name its
surname (张**). The patterns also catch numbers written inside longer text.
"""

from __future__ import annotations

import re

ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[0-9Xx])(?![0-9A-Za-z])")
ID_15 = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{6})(\d{3})(?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
LANDLINE = re.compile(r"(?<!\d)(0\d{2,3}-?)(\d{3,4})(\d{4})(?!\d)")
WHOLE_ID = re.compile(r"\d{17}[\dXx]")

ORG_MARKERS = ("公司", "企业", "厂", "店", "中心", "合作社", "集团", "商行", "经营部", "部", "局", "委员会",
               "学校", "医院", "协会", "事务所", "工作室", "门市", "超市", "酒店", "餐厅", "馆", "站", "社", "所")


def mask_id(text: str) -> str:
    text = ID_NUMBER.sub(lambda m: m.group(1) + "*" * 8 + m.group(3), text)
    return ID_15.sub(lambda m: m.group(1) + "*" * 6 + m.group(3), text)


def mask_phone(text: str) -> str:
    text = MOBILE.sub(lambda m: m.group(1) + "****" + m.group(3), text)
    return LANDLINE.sub(lambda m: m.group(1) + "****" + m.group(3), text)


def looks_like_person(name: str) -> bool:
    """A natural person's name: 2–4 Chinese characters (longer with a middle dot, as in 买买提·艾力)
    and none of the organisation markers."""
    name = name.strip()
    longest = 16 if "·" in name else 4
    return 2 <= len(name) <= longest and all("\u4e00" <= ch <= "\u9fff" or ch == "·" for ch in name) and not any(
        marker in name for marker in ORG_MARKERS
    )


def mask_name(name: str) -> str:
    name = name.strip()
    return name[:1] + "*" * max(len(name) - 1, 1) if name else name


def party_is_person(party: str | None, applicant_type: str | None) -> bool:
    if applicant_type in ("person", "org"):
        return applicant_type == "person"
    return bool(party) and looks_like_person(party or "")


def mask_party(party: str | None, applicant_type: str | None) -> str:
    if not party:
        return ""
    return mask_name(party) if party_is_person(party, applicant_type) else mask_text(party)


def mask_text(text: str | None, *, names: tuple[str, ...] = ()) -> str:
    """``text`` with ID and phone numbers masked and each natural person's name in ``names`` masked."""
    if not text:
        return ""
    out = mask_phone(mask_id(text))
    for name in sorted({n for n in names if n}, key=len, reverse=True):
        out = out.replace(name, mask_name(name))
    return out


def has_whole_id(text: str) -> bool:
    return bool(WHOLE_ID.search(text or ""))
