"""Ordinary diagnoses through the production assessor: never auto_accept, (almost) always none.

Each one is tried three ways — code and name, name only, code only — because a settlement
may carry either. A false auto_accept pays money that is not owed.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gonghui.mutual_aid.assessment.service import default_assessor
from gonghui.mutual_aid.assessment.types import Assessment, Case, Diagnosis

ORDINARY = [
    ("J18.900", "肺炎"), ("J18.000", "支气管肺炎"), ("I10.x00", "高血压"),
    ("I10.x05", "高血压病3级（极高危）"), ("E11.900", "2型糖尿病"),
    ("E11.400", "2型糖尿病性周围神经病"), ("S72.000", "左股骨颈骨折"),
    ("S52.500", "右桡骨远端骨折"), ("K35.800", "急性阑尾炎"), ("K80.100", "胆囊结石伴慢性胆囊炎"),
    ("K81.000", "急性胆囊炎"), ("K29.500", "慢性胃炎"), ("N20.000", "肾结石"),
    ("N20.100", "输尿管结石"), ("H25.900", "老年性白内障"), ("O80.000", "单胎顺产"),
    ("O82.000", "剖宫产"), ("M51.202", "腰椎间盘突出症"), ("I25.100", "冠状动脉粥样硬化性心脏病"),
    ("I20.000", "不稳定型心绞痛"), ("I20.000x005", "冠心病 不稳定型心绞痛"),
    ("G45.900", "短暂性脑缺血发作"), ("I67.800x002", "脑供血不足"), ("E04.101", "甲状腺结节"),
    ("D25.900", "子宫平滑肌瘤"), ("N60.200", "乳腺增生"), ("Z22.500", "乙型肝炎病毒携带者"),
    ("B18.100", "慢性乙型病毒性肝炎"), ("N28.100", "肾囊肿"), ("N18.300", "慢性肾脏病3期"),
    ("Z85.300", "乳腺癌术后复查"), ("Z85.900", "恶性肿瘤个人史"), ("R91.x00", "肺占位待查"),
    ("Z12.400", "宫颈癌筛查"), ("Z03.100", "疑似胃癌"), ("I25.200", "陈旧性心肌梗死"),
    ("D35.200", "垂体腺瘤"), ("J44.100", "慢性阻塞性肺疾病急性加重"), ("J45.900", "支气管哮喘"),
    ("I48.x00", "心房颤动"), ("K40.900", "腹股沟疝"), ("K64.800", "混合痔"),
    ("M17.900", "膝关节骨性关节炎"), ("J06.900", "急性上呼吸道感染"), ("A09.900", "急性胃肠炎"),
    ("N39.000", "泌尿道感染"), ("B02.900", "带状疱疹"), ("F32.900", "抑郁症"), ("R42.x00", "头晕"),
    ("E78.500", "高脂血症"), ("K76.000", "脂肪肝"), ("N40.x00", "前列腺增生"),
    ("D34.x00", "甲状腺腺瘤"), ("O20.000", "先兆流产"), ("D32.100", "脊膜瘤"),
    ("Z94.700", "角膜移植状态"), ("J96.000", "急性呼吸衰竭"), ("G51.000", "面神经炎"),
]  # fmt: skip


@pytest.fixture(scope="module")
def assess() -> Callable[[Case], Assessment]:
    return default_assessor()


def _variants(code: str, name: str) -> list[Diagnosis]:
    return [Diagnosis(code, name), Diagnosis(None, name), Diagnosis(code, None)]


@pytest.mark.parametrize(("code", "name"), ORDINARY)
def test_ordinary_diagnosis_never_auto_accepts(
    assess: Callable[[Case], Assessment], code: str, name: str
) -> None:
    for diagnosis in _variants(code, name):
        result = assess(Case(id="o", diagnoses=(diagnosis,)))
        assert all(m.decision != "auto_accept" for m in result.categories), diagnosis
        assert result.decision != "auto_accept"


@pytest.mark.parametrize(("code", "name"), ORDINARY)
def test_ordinary_diagnosis_with_its_code_is_none(
    assess: Callable[[Case], Assessment], code: str, name: str
) -> None:
    assert assess(Case(id="o", diagnoses=(Diagnosis(code, name),))).decision == "none"
    assert assess(Case(id="o", diagnoses=(Diagnosis(code, None),))).decision == "none"


def test_ordinary_names_alone_are_mostly_none(assess: Callable[[Case], Assessment]) -> None:
    flagged = [
        name
        for _, name in ORDINARY
        if assess(Case(id="o", diagnoses=(Diagnosis(None, name),))).decision != "none"
    ]
    assert len(ORDINARY) >= 40
    assert len(flagged) <= len(ORDINARY) * 0.05, flagged


def test_a_whole_ordinary_stay_is_none(assess: Callable[[Case], Assessment]) -> None:
    case = Case(
        id="stay",
        diagnoses=tuple(Diagnosis(code, name) for code, name in ORDINARY[:8]),
    )
    assert assess(case).categories == ()
