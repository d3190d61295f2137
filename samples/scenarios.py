"""The scenario registry: which case to build next.

A scenario is a named case builder with the platforms it applies to, the share of eligible cases
that get it, and how many times it must appear at least (``minimum``, placed at seeded positions
so that even a small sample holds every code). Clean cases are the rest; they vary as real ones do
(pauses, extensions within limits, refusals, denials, open cases at as_of ...), and the generator
verifies that each is clean under every code before writing it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from samples import plants, traps
from samples.enforcement import EnforcementPlan
from samples.histories import DENY, OPEN, REFUSE, ServicePlan, build_service
from samples.model import WORKDAY, Case
from samples.plants import Kit, enforcement_case
from samples.pools import LICENSING_PLATFORMS, PLATFORM_WEIGHTS, SERVICE, party_for

Builder = Callable[[Kit, random.Random, int], Case]
RATE = 0.007  # share of eligible cases per planted code (0.5-1 %)
TRAP_RATE = 0.0006


@dataclass(frozen=True)
class Scenario:
    name: str
    build: Builder
    platforms: tuple[str, ...]
    rate: float  # probability for a case of one of ``platforms``
    minimum: int = 3
    trap: bool = False


def _s(name: str, build: Builder, platforms: tuple[str, ...], share: float = 1.0, minimum: int = 3) -> Scenario:
    return Scenario(name, build, platforms, RATE * share, minimum)


def _t(name: str, build: Builder, platforms: tuple[str, ...], minimum: int = 2) -> Scenario:
    return Scenario(name, build, platforms, TRAP_RATE, minimum, trap=True)


ZF = ("zfba",)
LIC_SHARE = 0.45  # licensing approvals among cases of the licensing platforms, roughly
SCENARIOS: list[Scenario] = [
    _s("t_promised_yellow", plants.t_promised_yellow, SERVICE, 0.5),
    _s("t_promised_red_open", plants.t_promised_red_open, SERVICE, 0.2),
    _s("t_promised_red_closed", plants.t_promised_red_closed, SERVICE, 0.4),
    _s("t_legal", plants.t_legal, SERVICE),
    _s("t_supplement_notice_late", plants.t_supplement_notice_late, SERVICE),
    _s("t_delivery_late", plants.t_delivery_late, LICENSING_PLATFORMS, LIC_SHARE),
    _s("t_stalled", plants.t_stalled, SERVICE),
    _s("p_supplement_repeated", plants.p_supplement_repeated, SERVICE),
    _s("p_decide_without_accept", plants.p_decide_without_accept, SERVICE),
    _s("p_accept_no_notice", plants.p_accept_no_notice, SERVICE),
    _s("p_refuse_no_notice", plants.p_refuse_no_notice, SERVICE, 0.3),
    _s("p_deliver_before_decide", plants.p_deliver_before_decide, SERVICE),
    _s("c_fee_above_standard", plants.c_fee_above_standard, SERVICE, 0.15),
    _s("c_fee_on_free_item", plants.c_fee_on_free_item, SERVICE),
    _s("c_materials_missing", plants.c_materials_missing, SERVICE),
    _s("k_item_unpublished", plants.k_item_unpublished, ("qyzx", "mszx", "sqzx"), 0.7),
    _s("d_late_service", plants.d_late_service, LICENSING_PLATFORMS, LIC_SHARE * 0.6),
    _s("d_missing_service", plants.d_missing_service, LICENSING_PLATFORMS, LIC_SHARE * 0.4),
    _s("d_id_exposed_service", plants.d_id_exposed_service, LICENSING_PLATFORMS, LIC_SHARE * 0.5),
    _s("t_enf_decision_late", plants.t_enf_decision_late, ZF),
    _s("t_enf_delivery_late", plants.t_enf_delivery_late, ZF),
    _s("p_enf_no_notify", plants.p_enf_no_notify, ZF),
    _s("c_penalty_out_of_range", plants.c_penalty_out_of_range, ZF),
    _s("c_single_officer", plants.c_single_officer, ZF),
    _s("c_uncertified_officer", plants.c_uncertified_officer, ZF),
    _s("d_late_enforcement", plants.d_late_enforcement, ZF, 0.6),
    _s("d_missing_enforcement", plants.d_missing_enforcement, ZF, 0.4),
    _s("d_mismatch", plants.d_mismatch, ZF),
    _s("d_id_exposed_enforcement", plants.d_id_exposed_enforcement, ZF, 0.5),
    _s("d_not_withdrawn", plants.d_not_withdrawn, ZF, 0.8),
    _t("holiday_just_in_time", lambda k, r, i: traps.holiday_case(k, r, i, overdue=False), SERVICE),
    _t("holiday_overdue", lambda k, r, i: traps.holiday_case(k, r, i, overdue=True), SERVICE),
    _t("makeup_day_overdue", traps.makeup_day_overdue, SERVICE),
    _t("utc_local_date", traps.utc_clean, ("xtbg",), minimum=3),
    _t("utc_local_date_violation", traps.utc_violation, ("xtbg",), minimum=3),
    _t("time_tie", traps.instant_ties, SERVICE),
    _t("fullwidth_digits", traps.fullwidth, ("sqzx",)),
    _t("extension_within_limit", traps.extension_within, SERVICE),
    _t("second_extension", traps.second_extension, SERVICE),
    _t("pause_within_limit", traps.pause_within, SERVICE),
    _t("open_paused", traps.open_paused, SERVICE),
    _t("open_waiting_supplement", traps.open_recent, SERVICE),
    _t("refused_incomplete_materials", traps.refused_incomplete, SERVICE),
    _t("denied_without_delivery", traps.denied_without_delivery, LICENSING_PLATFORMS),
    _t("weekend_submission", traps.weekend_submission, ("wsdt",)),
    _t("enforcement_90_days", traps.enforcement_90_days, ZF),
    _t("org_credit_code_published", traps.org_credit_code, ZF),
    _t("assistant_on_delivery", traps.assistant_on_delivery, ZF),
    _t("same_officer_twice", traps.same_officer_twice, ZF),
]
BY_NAME = {s.name: s for s in SCENARIOS}


# -- clean cases -------------------------------------------------------------------------------
def clean_service(kit: Kit, rng: random.Random, index: int, platform: str) -> Case:
    item = kit.pools.item(rng, platform)
    plan = ServicePlan(offhours_submit=platform == "wsdt" and rng.random() < 0.25)
    workday = item.limit_unit == WORKDAY and (item.promised_limit or 0) <= (item.legal_limit or 0)
    r = rng.random()
    if r < 0.05 and workday and (item.promised_limit or 0) >= 4:
        plan.outcome = OPEN
        plan.open_state = rng.choices(["review", "decided", "supplement", "suspend", "submitted"],
                                      weights=[50, 15, 15, 10, 10])[0]
        if plan.open_state == "decided":
            plan.decided_age, plan.deliver_gap = rng.randint(0, 8), None
    elif r < 0.11:
        plan.outcome = REFUSE
    elif r < 0.17:
        plan.outcome = DENY
        plan.deliver_gap = rng.choice([0, 1, 2, None])
    elif r < 0.22:
        plan.instant, plan.used, plan.deliver_gap = True, 0, 0
    if plan.outcome != REFUSE and not plan.instant:
        features = rng.random()
        if features < 0.08:
            plan.pre_supplement = True
        elif features < 0.11 and workday:
            plan.post_supplement = True
        elif features < 0.14 and workday:
            plan.suspend = True
        elif features < 0.16 and workday:
            plan.extends = 1
        if plan.outcome != OPEN:
            plan.deliver_gap = plan.deliver_gap if plan.outcome == DENY else rng.choice([0, 0, 1, 1, 2, 3, 5])
    elif plan.outcome == REFUSE and rng.random() < 0.3:
        plan.pre_supplement = True
    return build_service(kit.ctx, rng, index, platform, item, party_for(rng, item), plan)


def clean_enforcement(kit: Kit, rng: random.Random, index: int) -> Case:
    r = rng.random()
    if r < 0.08:
        plan = EnforcementPlan(open_state="investigating", file_age=rng.randint(3, 80))
    elif r < 0.12:
        plan = EnforcementPlan(open_state="decided", decided_age=rng.randint(0, 3), deliver_days=rng.randint(0, 2))
    else:
        plan = EnforcementPlan(deliver_days=rng.randint(0, 5), revoke="ok" if rng.random() < 0.01 else None)
    return enforcement_case(kit, rng, index, plan)


def build_clean(kit: Kit, rng: random.Random, index: int, platform: str) -> Case:
    if platform == "zfba":
        return clean_enforcement(kit, rng, index)
    return clean_service(kit, rng, index, platform)


class Chooser:
    """Draws a scenario (or None: a clean case) for each case index.

    A scenario's probability is its rate times the share of cases on its platforms; it then picks
    one of its platforms by weight, so each platform sees it at about ``rate`` of its cases.
    """

    def __init__(self, cases: int, seed: int) -> None:
        self.table: list[tuple[float, Scenario]] = []
        total = 0.0
        for scenario in SCENARIOS:
            total += scenario.rate * sum(PLATFORM_WEIGHTS[p] for p in scenario.platforms)
            self.table.append((total, scenario))
        self.forced = self._forced(cases, seed)

    @staticmethod
    def _forced(cases: int, seed: int) -> dict[int, Scenario]:
        rng = random.Random(f"forced/{seed}")
        wanted = [s for s in SCENARIOS for _ in range(s.minimum)]
        rng.shuffle(wanted)
        wanted = wanted[:cases]
        positions = rng.sample(range(cases), len(wanted))
        return dict(zip(positions, wanted))

    def draw(self, rng: random.Random) -> Scenario | None:
        x = rng.random()
        for edge, scenario in self.table:
            if x < edge:
                return scenario
        return None
