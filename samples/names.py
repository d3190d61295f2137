"""Parties: people, companies and sole traders with valid-looking identity numbers.

Resident ID numbers carry the ISO 7064 MOD 11-2 check digit; unified social credit codes carry the
GB 32100 check character and always contain letters, so a published credit code is never mistaken
for a resident ID number (an 18-character run of digits with a final digit or X).
"""

from __future__ import annotations

import random

from samples import catalogue as cat
from samples.model import ORG, PERSON, SOLE_TRADER, Party

_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_ID_CHECK = "10X98765432"
_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CODE_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
_REGIONS = ["230108", "230108", "230108", "230102", "230103", "230104", "230109", "230110", "230111"]
_DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


def person_name(rng: random.Random, rare: bool = False) -> str:
    surname = rng.choice(cat.SURNAMES)
    given = rng.choice(cat.GIVEN)
    if rare:
        return surname + rng.choice(cat.RARE_GIVEN) + (rng.choice(cat.GIVEN) if rng.random() < 0.5 else "")
    if rng.random() < 0.7:
        given += rng.choice(cat.GIVEN)
    return surname + given


def resident_id(rng: random.Random) -> str:
    year = rng.randint(1950, 2004)
    month = rng.randint(1, 12)
    day = rng.randint(1, _DAYS_IN_MONTH[month - 1])
    body = f"{rng.choice(_REGIONS)}{year:04d}{month:02d}{day:02d}{rng.randint(0, 999):03d}"
    total = sum(int(ch) * w for ch, w in zip(body, _ID_WEIGHTS))
    return body + _ID_CHECK[total % 11]


def is_valid_resident_id(text: str) -> bool:
    if len(text) != 18 or not text[:17].isdigit():
        return False
    total = sum(int(ch) * w for ch, w in zip(text[:17], _ID_WEIGHTS))
    return text[17] == _ID_CHECK[total % 11]


def credit_code(rng: random.Random, sole_trader: bool = False) -> str:
    head = ("92" if sole_trader else "91") + cat.DISTRICT_CODE + "MA"
    body = head + "".join(rng.choice(_CODE_CHARS) for _ in range(7))
    total = sum(_CODE_CHARS.index(ch) * w for ch, w in zip(body, _CODE_WEIGHTS))
    return body + _CODE_CHARS[(31 - total % 31) % 31]


def company_name(rng: random.Random) -> str:
    core = rng.choice(cat.COMPANY_CORES) + rng.choice(cat.COMPANY_CORES)
    return f"{cat.COMPANY_PREFIX}{core}{rng.choice(cat.COMPANY_TRADES)}{rng.choice(cat.COMPANY_FORMS)}"


def make_party(rng: random.Random, kind: str, rare_names: bool = False) -> Party:
    """A party of ``kind``; ``rare_names`` allows GB18030-only characters in a person's name."""
    if kind == PERSON:
        rare = rare_names and rng.random() < 0.02
        return Party(PERSON, person_name(rng, rare), resident_id(rng))
    if kind == SOLE_TRADER:
        owner = person_name(rng)
        return Party(SOLE_TRADER, f"{cat.DISTRICT}{owner[0]}记{rng.choice(cat.SOLE_TRADER_TRADES)}",
                     credit_code(rng, sole_trader=True))
    return Party(ORG, company_name(rng), credit_code(rng))
