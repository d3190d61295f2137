"""Masking personal data for the public page."""

from __future__ import annotations

import pytest

from dashboard import masking


@pytest.mark.parametrize(("text", "expected"), [
    ("身份证号230108198512034517。", "身份证号230108********4517。"),
    ("身份证号23010819851203451X", "身份证号230108********451X"),
    ("旧证230108851203451", "旧证230108******451"),
    ("电话13904512345", "电话139****2345"),
    ("座机0451-86612345", "座机0451-****2345"),
    ("统一社会信用代码91230108MA1B2C3D4E", "统一社会信用代码91230108MA1B2C3D4E"),
    ("罚款3000元", "罚款3000元"),
    ("", ""),
], ids=["id18", "id18x", "id15", "mobile", "landline", "credit-code", "amount", "empty"])
def test_mask_text(text: str, expected: str) -> None:
    assert masking.mask_text(text) == expected


def test_names_of_persons_are_masked_inside_text() -> None:
    text = "当事人张三丰（身份证号230108198512034517）与张三因无证经营被处罚。"
    masked = masking.mask_text(text, names=("张三丰", "张三"))
    assert masked == "当事人张**（身份证号230108********4517）与张*因无证经营被处罚。"
    assert not masking.has_whole_id(masked)


@pytest.mark.parametrize(("party", "kind", "expected"), [
    ("王小明", None, "王**"),
    ("李四", "person", "李*"),
    ("欧阳·娜娜", None, "欧****"),
    ("哈尔滨平房食品有限公司", None, "哈尔滨平房食品有限公司"),
    ("新城餐饮店", None, "新城餐饮店"),
    ("平房区市场监督管理局", None, "平房区市场监督管理局"),
    ("王记", "org", "王记"),
    (None, None, ""),
], ids=["person3", "person-typed", "dot", "company", "shop", "agency", "org-typed", "none"])
def test_mask_party(party: str | None, kind: str | None, expected: str) -> None:
    assert masking.mask_party(party, kind) == expected
