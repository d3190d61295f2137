"""Choosing a platform, an item and a party for a case.

Item pools are filtered once per (platform, filter) and cached: a scenario asks for, say, a
licensing item of the citizen centre whose promised limit is shorter than the legal one, and gets a
uniform choice among the published items that qualify.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from samples.district import District
from samples.model import LICENSING, NON_LICENSING, ORG, PERSON, WORKDAY, Item, Party
from samples.names import make_party
from samples.timeline import Infeasible

# Share of all cases per platform (the enterprise centre and the online hall carry most).
PLATFORM_WEIGHTS: dict[str, float] = {
    "qyzx": 0.20, "mszx": 0.13, "sqzx": 0.10, "wsdt": 0.32, "xtbg": 0.13, "zfba": 0.12,
}
SERVICE = ("qyzx", "mszx", "sqzx", "wsdt", "xtbg")
LICENSING_PLATFORMS = ("qyzx", "mszx", "xtbg")


def _workday(item: Item) -> bool:
    return item.limit_unit == WORKDAY and (item.promised_limit or 0) <= (item.legal_limit or 0)


FILTERS: dict[str, Callable[[Item], bool]] = {
    "any": lambda i: True,
    "workday": _workday,
    "promise4": lambda i: _workday(i) and (i.promised_limit or 0) >= 4,
    "promise10": lambda i: _workday(i) and (i.promised_limit or 0) >= 10,
    "promise14": lambda i: _workday(i) and (i.promised_limit or 0) >= 14,
    "gap": lambda i: _workday(i) and (i.promised_limit or 0) < (i.legal_limit or 0),
    "licensing": lambda i: i.kind == LICENSING and i.disclosure_limit is not None,
    "licensing_person": lambda i: i.kind == LICENSING and i.disclosure_limit is not None and i.audience == PERSON,
    "licensing_workday": lambda i: i.kind == LICENSING and _workday(i),
    "non_licensing": lambda i: i.kind == NON_LICENSING,
    "fee": lambda i: i.fee_standard > 0,
    "free": lambda i: i.fee_standard == 0,
}


class Pools:
    """Cached item pools of a district."""

    def __init__(self, district: District) -> None:
        self.district = district
        self._cache: dict[tuple[str, str, bool], list[Item]] = {}
        platforms = list(PLATFORM_WEIGHTS)
        self._platforms = platforms
        self._cumulative: list[float] = []
        total = 0.0
        for name in platforms:
            total += PLATFORM_WEIGHTS[name]
            self._cumulative.append(total)

    def items(self, platform: str, name: str = "any", published: bool = True) -> list[Item]:
        key = (platform, name, published)
        pool = self._cache.get(key)
        if pool is None:
            source = self.district.platform_items if published else self.district.unpublished
            pool = [i for i in source.get(platform, []) if FILTERS[name](i)]
            self._cache[key] = pool
        return pool

    def item(self, rng: random.Random, platform: str, name: str = "any", published: bool = True) -> Item:
        pool = self.items(platform, name, published)
        if not pool:
            raise Infeasible(f"no {name} item on {platform}")
        return pool[rng.randrange(len(pool))]

    def eligible_share(self, platform: str, name: str) -> float:
        return len(self.items(platform, name)) / max(1, len(self.items(platform)))

    def platform(self, rng: random.Random, allowed: tuple[str, ...] | None = None) -> str:
        if allowed is None:
            x = rng.random() * self._cumulative[-1]
            for name, edge in zip(self._platforms, self._cumulative):
                if x < edge:
                    return name
            return self._platforms[-1]
        weights = [PLATFORM_WEIGHTS[p] for p in allowed]
        return rng.choices(allowed, weights=weights)[0]


def party_for(rng: random.Random, item: Item, kind: str | None = None) -> Party:
    """An applicant for ``item``: its usual audience, sometimes the other kind."""
    if kind is None:
        kind = item.audience
        if kind == ORG and rng.random() < 0.1:
            kind = PERSON  # an individual applying for an enterprise item
    return make_party(rng, kind)
