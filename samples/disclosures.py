"""What the government website publishes (政府网站公示栏): licensing and penalty results.

A person's resident ID number is published masked (2301**********1234) unless a scenario plants
the exposure; a company's or sole trader's unified social credit code is public and published
whole. Dates in the text are written the Chinese way, so no long digit run ever appears besides
an exposed ID number.
"""

from __future__ import annotations

import datetime as dt

from samples.catalogue import PENALTY_LAWS
from samples.model import PERSON, Case, Disclosure, Event

URL_BASE = "https://www.pingfang.gov.example/zfgs"


def _id_part(case: Case, expose_id: bool) -> str:
    party = case.party
    if party.kind == PERSON:
        return f"身份证号：{party.id_no if expose_id else party.masked_id}"
    return f"统一社会信用代码：{party.id_no}"


def _cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def disclosure_id(case: Case, number: int = 1) -> str:
    return f"GS{case.index + 1:08d}{number:02d}"


def for_licence(case: Case, decide: Event, published: dt.datetime, *, expose_id: bool = False) -> Disclosure:
    item = case.item
    ident = disclosure_id(case)
    content = (
        f"行政许可决定公示。许可决定书文号：{decide.doc_no}；行政相对人：{case.party.name}（{_id_part(case, expose_id)}）；"
        f"许可事项：{item.name}；许可决定：准予许可；决定日期：{_cn_date(decide.day)}。"
    )
    return Disclosure(
        disclosure_id=ident, published_at=published, decision_no=decide.doc_no, content=content,
        title=f"行政许可决定公示（{decide.doc_no}）", party_name=case.party.name, fine=None, cause=item.name,
    )


def for_penalty(
    case: Case, decision: Event, published: dt.datetime, *, decision_no: str | None = None,
    fine: int | None = None, expose_id: bool = False,
) -> Disclosure:
    """A penalty disclosure; ``decision_no`` and ``fine`` override the case's to plant a mismatch."""
    number = decision_no if decision_no is not None else case.decision_no
    amount = fine if fine is not None else case.fine_amount
    ident = disclosure_id(case)
    content = (
        f"行政处罚决定公示。决定书文号：{number}；当事人：{case.party.name}（{_id_part(case, expose_id)}）；"
        f"违法行为：{case.cause}；处罚依据：{PENALTY_LAWS[case.dept_code[-3:]]}；"
        f"处罚内容：罚款人民币{amount}元；作出处罚决定日期：{_cn_date(decision.day)}。"
    )
    return Disclosure(
        disclosure_id=ident, published_at=published, decision_no=number, content=content,
        title=f"行政处罚决定公示（{number}）", party_name=case.party.name, fine=amount, cause=case.cause,
    )


def url(disclosure: Disclosure) -> str:
    return f"{URL_BASE}/{disclosure.published_at.year}/{disclosure.disclosure_id}.html"
