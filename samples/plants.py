"""Planted violations: one builder per way of breaking a rule.

Each builder returns a case whose ``expected`` lists the findings it must raise (usually one; a
T_LEGAL case also breaches T_PROMISED). The generator checks the list against
:func:`samples.oracle.audit_case` before writing the case, so a builder only has to aim well.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from samples.enforcement import EnforcementPlan, build_enforcement
from samples.histories import OPEN, REFUSE, GenContext, ServicePlan, build_service
from samples.model import PERSON, Case, Finding
from samples.pools import LICENSING_PLATFORMS, SERVICE, Pools, party_for
from samples.timeline import Infeasible


@dataclass
class Kit:
    """A case builder's tools."""

    ctx: GenContext
    pools: Pools


def service_case(kit: Kit, rng: random.Random, index: int, plan: ServicePlan, *, filter: str = "any",
                 platforms: tuple[str, ...] = SERVICE, party_kind: str | None = None,
                 published: bool = True) -> Case:
    platform = kit.pools.platform(rng, platforms)
    item = kit.pools.item(rng, platform, filter, published)
    return build_service(kit.ctx, rng, index, platform, item, party_for(rng, item, party_kind), plan)


def enforcement_case(kit: Kit, rng: random.Random, index: int, plan: EnforcementPlan) -> Case:
    return build_enforcement(kit.ctx, rng, index, kit.pools.item(rng, "zfba"), plan)


def expect(case: Case, *findings: tuple[str, str, str]) -> Case:
    case.expected = [Finding(code, level, note) for code, level, note in findings]
    return case


# -- timeliness --------------------------------------------------------------------------------
def t_promised_yellow(kit: Kit, rng: random.Random, index: int) -> Case:
    platform = kit.pools.platform(rng, SERVICE)
    item = kit.pools.item(rng, platform, "promise4")
    extended = rng.random() < 0.25
    limit = (item.promised_limit or 0) + (10 if extended else 0)
    used = limit - rng.randint(0, 2)
    plan = ServicePlan(outcome=OPEN, used=used, extends=int(extended), last_age=rng.randint(1, min(9, used)))
    case = build_service(kit.ctx, rng, index, platform, item, party_for(rng, item), plan)
    return expect(case, ("T_PROMISED", "yellow", f"open; {used} of {limit} working days used at as_of"))


def t_promised_red_open(kit: Kit, rng: random.Random, index: int) -> Case:
    platform = kit.pools.platform(rng, SERVICE)
    item = kit.pools.item(rng, platform, "gap")
    used = rng.randint((item.promised_limit or 0) + 1, item.legal_limit or 0)
    plan = ServicePlan(outcome=OPEN, used=used, last_age=rng.randint(1, 9))
    case = build_service(kit.ctx, rng, index, platform, item, party_for(rng, item), plan)
    return expect(case, ("T_PROMISED", "red", f"open; {used} > {item.promised_limit} working days at as_of"))


def t_promised_red_closed(kit: Kit, rng: random.Random, index: int) -> Case:
    platform = kit.pools.platform(rng, SERVICE)
    item = kit.pools.item(rng, platform, "gap")
    promised, legal = item.promised_limit or 0, item.legal_limit or 0
    variant = rng.choice(["plain", "pause", "extension"])
    plan = ServicePlan(used=rng.randint(promised + 1, legal))
    if variant == "pause":
        plan.suspend, plan.post_supplement = (True, False) if rng.random() < 0.5 else (False, True)
    elif variant == "extension":
        plan.extends, plan.used = 1, rng.randint(promised + 11, legal + 10)
    case = build_service(kit.ctx, rng, index, platform, item, party_for(rng, item), plan)
    limit = promised + (10 if variant == "extension" else 0)
    return expect(case, ("T_PROMISED", "red", f"decided after {plan.used} > {limit} working days ({variant})"))


def t_legal(kit: Kit, rng: random.Random, index: int) -> Case:
    platform = kit.pools.platform(rng, SERVICE)
    item = kit.pools.item(rng, platform, "workday")
    legal = item.legal_limit or 0
    if rng.random() < 0.3:
        used = rng.randint(legal + 1, legal + 4)
        plan = ServicePlan(outcome=OPEN, used=used, last_age=rng.randint(1, 9))
        note = f"open; {used} > legal {legal} working days at as_of"
    else:
        used = rng.randint(legal + 1, legal + 8)
        plan = ServicePlan(used=used)
        note = f"decided after {used} > legal {legal} working days"
    case = build_service(kit.ctx, rng, index, platform, item, party_for(rng, item), plan)
    return expect(case, ("T_LEGAL", "red", note), ("T_PROMISED", "red", "implied by T_LEGAL"))


def t_supplement_notice_late(kit: Kit, rng: random.Random, index: int) -> Case:
    gap = rng.randint(6, 8)
    case = service_case(kit, rng, index, ServicePlan(pre_supplement=True, notice_gap=gap), filter="promise14")
    return expect(case, ("T_SUPPLEMENT_NOTICE_LATE", "red", f"补正 notice {gap} working days after submission"))


def t_delivery_late(kit: Kit, rng: random.Random, index: int) -> Case:
    if rng.random() < 0.6:
        gap = rng.randint(11, 20)
        plan = ServicePlan(deliver_gap=gap)
        note = f"delivered {gap} working days after the decision"
    else:
        age = rng.randint(11, 25)
        plan = ServicePlan(outcome=OPEN, open_state="decided", decided_age=age, deliver_gap=None)
        note = f"not delivered; decided {age} working days before as_of"
    case = service_case(kit, rng, index, plan, filter="licensing_workday", platforms=LICENSING_PLATFORMS)
    return expect(case, ("T_DELIVERY_LATE", "red", note))


def t_stalled(kit: Kit, rng: random.Random, index: int) -> Case:
    if rng.random() < 0.5:
        age = rng.randint(11, 30)
        case = service_case(kit, rng, index, ServicePlan(outcome=OPEN, open_state="submitted", last_age=age))
    else:
        platform = kit.pools.platform(rng, SERVICE)
        item = kit.pools.item(rng, platform, "promise14")
        age = rng.randint(11, (item.promised_limit or 0) - 3)
        plan = ServicePlan(outcome=OPEN, used=rng.randint(age, (item.promised_limit or 0) - 3), last_age=age)
        case = build_service(kit.ctx, rng, index, platform, item, party_for(rng, item), plan)
    return expect(case, ("T_STALLED", "yellow", f"last event {age} working days before as_of"))


# -- process -----------------------------------------------------------------------------------
def p_supplement_repeated(kit: Kit, rng: random.Random, index: int) -> Case:
    plan = ServicePlan(pre_supplement=True, repeat_supplement=True, notice_gap=rng.randint(0, 3))
    return expect(service_case(kit, rng, index, plan), ("P_SUPPLEMENT_REPEATED", "red", "two 补正 notices"))


def p_decide_without_accept(kit: Kit, rng: random.Random, index: int) -> Case:
    case = service_case(kit, rng, index, ServicePlan(without_accept=True))
    return expect(case, ("P_DECIDE_WITHOUT_ACCEPT", "red", "decided with no ACCEPT (no clock start)"))


def p_accept_no_notice(kit: Kit, rng: random.Random, index: int) -> Case:
    case = service_case(kit, rng, index, ServicePlan(accept_notice=False))
    return expect(case, ("P_ACCEPT_NO_NOTICE", "red", "ACCEPT without a document number"))


def p_refuse_no_notice(kit: Kit, rng: random.Random, index: int) -> Case:
    case = service_case(kit, rng, index, ServicePlan(outcome=REFUSE, refuse_notice=False))
    return expect(case, ("P_REFUSE_NO_NOTICE", "red", "REFUSE without a document number"))


def p_deliver_before_decide(kit: Kit, rng: random.Random, index: int) -> Case:
    case = service_case(kit, rng, index, ServicePlan(deliver_before_decide=True), filter="non_licensing")
    return expect(case, ("P_DELIVER_BEFORE_DECIDE", "red", "DELIVER before DECIDE (non-licensing item)"))


# -- content -----------------------------------------------------------------------------------
def c_fee_above_standard(kit: Kit, rng: random.Random, index: int) -> Case:
    case = service_case(kit, rng, index, ServicePlan(fee="above"), filter="fee")
    return expect(case, ("C_FEE_ABOVE_STANDARD", "red",
                         f"charged {case.fee_charged} > standard {case.item.fee_standard}"))


def c_fee_on_free_item(kit: Kit, rng: random.Random, index: int) -> Case:
    case = service_case(kit, rng, index, ServicePlan(fee="on_free"), filter="free")
    return expect(case, ("C_FEE_ON_FREE_ITEM", "red", f"charged {case.fee_charged} on a free item"))


def c_materials_missing(kit: Kit, rng: random.Random, index: int) -> Case:
    case = service_case(kit, rng, index, ServicePlan(materials_missing=True))
    missing = sorted(set(case.item.required_materials) - set(case.materials))
    return expect(case, ("C_MATERIALS_MISSING", "red", f"accepted without {'、'.join(missing)}"))


def k_item_unpublished(kit: Kit, rng: random.Random, index: int) -> Case:
    case = service_case(kit, rng, index, ServicePlan(), platforms=("qyzx", "mszx", "sqzx"), published=False)
    return expect(case, ("K_ITEM_UNPUBLISHED", "red", f"item {case.item.code} is not in the published catalogue"))


# -- disclosure of licensing results -----------------------------------------------------------
def d_late_service(kit: Kit, rng: random.Random, index: int) -> Case:
    plan = ServicePlan(disclose_gap=rng.randint(8, 12))
    case = service_case(kit, rng, index, plan, filter="licensing", platforms=LICENSING_PLATFORMS)
    limit = case.item.disclosure_limit
    return expect(case, ("D_LATE", "red", f"licence published {plan.disclose_gap} > {limit} working days later"))


def d_missing_service(kit: Kit, rng: random.Random, index: int) -> Case:
    case = service_case(kit, rng, index, ServicePlan(disclose=False), filter="licensing",
                        platforms=LICENSING_PLATFORMS)
    return expect(case, ("D_MISSING", "red", "approved licence never published"))


def d_id_exposed_service(kit: Kit, rng: random.Random, index: int) -> Case:
    plan = ServicePlan(expose_id=True, disclose_gap=rng.randint(1, 3))
    case = service_case(kit, rng, index, plan, filter="licensing", platforms=LICENSING_PLATFORMS,
                        party_kind=PERSON)
    if not case.disclosures:
        raise Infeasible("no publication")
    return expect(case, ("D_ID_EXPOSED", "red", "licence publication shows the whole resident ID"))


# -- enforcement -------------------------------------------------------------------------------
def t_enf_decision_late(kit: Kit, rng: random.Random, index: int) -> Case:
    if rng.random() < 0.6:
        days = rng.randint(91, 125)
        plan = EnforcementPlan(decide_days=days)
        note = f"decided {days} days after 立案"
    else:
        days = rng.randint(92, 130)
        plan = EnforcementPlan(open_state="investigating", file_age=days)
        note = f"undecided; filed about {days} days before as_of"
    return expect(enforcement_case(kit, rng, index, plan), ("T_ENF_DECISION_LATE", "red", note))


def t_enf_delivery_late(kit: Kit, rng: random.Random, index: int) -> Case:
    if rng.random() < 0.7:
        days = rng.randint(8, 20)
        plan = EnforcementPlan(deliver_days=days)
        note = f"delivered {days} days after the decision"
    else:
        plan = EnforcementPlan(open_state="decided", decided_age=rng.randint(6, 12), deliver_days=None)
        note = "decision not delivered by as_of"
    return expect(enforcement_case(kit, rng, index, plan), ("T_ENF_DELIVERY_LATE", "red", note))


def p_enf_no_notify(kit: Kit, rng: random.Random, index: int) -> Case:
    case = enforcement_case(kit, rng, index, EnforcementPlan(notify=False))
    return expect(case, ("P_ENF_NO_NOTIFY", "red", "no 告知 before the decision"))


def c_penalty_out_of_range(kit: Kit, rng: random.Random, index: int) -> Case:
    mode = rng.choice(["above", "below", "unknown_level"])
    case = enforcement_case(kit, rng, index, EnforcementPlan(fine=mode))
    return expect(case, ("C_PENALTY_OUT_OF_RANGE", "red", f"fine {case.fine_amount} ({mode}, {case.discretion_level})"))


def c_single_officer(kit: Kit, rng: random.Random, index: int, mode: str = "single") -> Case:
    case = enforcement_case(kit, rng, index, EnforcementPlan(officers=mode))
    return expect(case, ("C_SINGLE_OFFICER", "red", f"fewer than two distinct officers ({mode})"))


def c_uncertified_officer(kit: Kit, rng: random.Random, index: int) -> Case:
    mode = rng.choice(["expired", "not_yet_valid", "no_certificate", "unknown"])
    case = enforcement_case(kit, rng, index, EnforcementPlan(officers=mode))
    return expect(case, ("C_UNCERTIFIED_OFFICER", "red", f"officer without a valid certificate ({mode})"))


def d_late_enforcement(kit: Kit, rng: random.Random, index: int) -> Case:
    case = enforcement_case(kit, rng, index, EnforcementPlan(disclosure="late"))
    return expect(case, ("D_LATE", "red", "penalty published after the disclosure limit"))


def d_missing_enforcement(kit: Kit, rng: random.Random, index: int) -> Case:
    case = enforcement_case(kit, rng, index, EnforcementPlan(disclosure="missing"))
    return expect(case, ("D_MISSING", "red", "penalty never published"))


def d_mismatch(kit: Kit, rng: random.Random, index: int) -> Case:
    mode = rng.choice(["mismatch_fine", "mismatch_no"])
    case = enforcement_case(kit, rng, index, EnforcementPlan(disclosure=mode))
    if not case.disclosures:
        raise Infeasible("no publication")
    return expect(case, ("D_MISMATCH", "red", f"published {mode.split('_')[1]} differs from the decision"))


def d_id_exposed_enforcement(kit: Kit, rng: random.Random, index: int) -> Case:
    case = enforcement_case(kit, rng, index, EnforcementPlan(disclosure="id", party_kind=PERSON))
    if not case.disclosures:
        raise Infeasible("no publication")
    return expect(case, ("D_ID_EXPOSED", "red", "penalty publication shows the whole resident ID"))


def d_not_withdrawn(kit: Kit, rng: random.Random, index: int) -> Case:
    mode = rng.choice(["late", "never"])
    case = enforcement_case(kit, rng, index, EnforcementPlan(revoke=mode))
    return expect(case, ("D_NOT_WITHDRAWN", "red", f"revoked decision's publication withdrawn {mode}"))
