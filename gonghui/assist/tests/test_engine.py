"""The matching pipeline on small hand-made corpora: filters, boosts, reasons, determinism."""

from decimal import Decimal

import pytest

from gonghui.assist.engine import (
    CraftsmanDoc,
    MatchError,
    MatchIndex,
    MatchQuery,
    OutcomeDoc,
    baseline_match,
)
from gonghui.assist.engine.features import (
    CITY,
    NATIONAL,
    OTHER,
    PROVINCIAL,
    craftsman_track_record,
    honour_level,
    outcome_track_record,
    region_proximity,
)
from gonghui.assist.engine.industries import INDUSTRY_NAMES
from gonghui.assist.engine.reasons import shown_terms

SPINDLE = "擅长数控机床主轴异响、主轴发热故障维修，熟悉FANUC系统。"


def craftsman(id_: int, bio: str = SPINDLE, **kw) -> CraftsmanDoc:
    defaults = {"external_id": f"C{id_:03d}", "name": f"工匠{id_}", "region": "330199", "industry": "C"}
    return CraftsmanDoc(id=id_, bio=bio, **{**defaults, **kw})


def filler(start: int, n: int) -> list[CraftsmanDoc]:
    """Unrelated craftsmen so idf behaves as in a real corpus."""
    topics = ["混凝土裂缝控制", "染色色差控制", "饮料灌装液位", "变电站继电保护", "汽车变速箱维修"]
    return [craftsman(start + i, bio=f"长期从事{topics[i % len(topics)]}工作。") for i in range(n)]


def test_conflict_of_interest_is_excluded_in_engine_and_baseline():
    index = MatchIndex.build(
        craftsmen=[craftsman(1, conflict_enterprise_ids=frozenset({77})), craftsman(2), *filler(10, 10)]
    )
    asked_by_77 = MatchQuery(text="主轴异响", enterprise_id=77)
    assert [r.id for r in index.match(asked_by_77)] == [2]
    assert [r.id for r in baseline_match(index, asked_by_77)] == [2]
    assert [r.id for r in index.match(MatchQuery(text="主轴异响", enterprise_id=78))] == [1, 2]


def test_full_craftsman_is_demoted_not_hidden():
    index = MatchIndex.build(craftsmen=[craftsman(1, capacity_left=0), craftsman(2), *filler(10, 10)])
    results = index.match(MatchQuery(text="数控机床主轴异响"))
    assert [r.id for r in results] == [2, 1]
    assert results[0].score > results[1].score
    assert any("接单已满" in reason for reason in results[1].reasons)


def test_industry_boost_and_strict_filter():
    docs = [craftsman(1, industry="D"), craftsman(2, industry="C"), *filler(10, 10)]
    index = MatchIndex.build(craftsmen=docs)
    boosted = index.match(MatchQuery(text="主轴异响", industry="C"))
    assert [r.id for r in boosted] == [2, 1]
    assert "同行业：制造业" in boosted[0].reasons
    strict = index.match(MatchQuery(text="主轴异响", industry="D", strict_industry=True))
    assert [r.id for r in strict] == [1]


def test_region_boost_prefers_the_same_district_then_city_then_province():
    docs = [
        craftsman(1, region="440300"),
        craftsman(2, region="330200"),
        craftsman(3, region="330105"),
        craftsman(4, region="330199"),
        *filler(10, 10),
    ]
    results = MatchIndex.build(craftsmen=docs).match(MatchQuery(text="主轴异响", region="330199"))
    assert [r.id for r in results] == [4, 3, 2, 1]
    assert "同区县" in results[0].reasons
    assert "同城市" in results[1].reasons
    assert "同省份" in results[2].reasons


def test_text_relevance_beats_boosts():
    weak = craftsman(
        1, bio="熟悉设备维修。", honours=("全国劳动模范",), region="330199", confirmed_solutions=40
    )
    strong = craftsman(2, region="510100", industry="")
    index = MatchIndex.build(craftsmen=[weak, strong, *filler(10, 10)])
    results = index.match(MatchQuery(text="数控机床主轴异响，设备维修", industry="C", region="330199"))
    assert results[0].id == 2


def test_reasons_name_terms_industry_region_honour_and_track_record():
    doc = craftsman(
        1, honours=("杭州工匠", "全国劳动模范"), confirmed_solutions=12, rating_avg=4.8, accepted_answers=3
    )
    index = MatchIndex.build(craftsmen=[doc, *filler(10, 10)])
    (result,) = index.match(MatchQuery(text="數控機床主軸異響", industry="C", region="330199"))
    assert result.reasons[0].startswith("匹配词：")
    assert "主轴" in result.reasons[0] and "异响" in result.reasons[0]
    assert result.reasons[1:] == (
        "同行业：制造业",
        "同区县",
        "全国劳动模范",
        "已解决问题 12 个，平均评分 4.8",
    )
    assert result.external_id == "C001" and result.name == "工匠1"
    assert result.score == round(result.score, 4)


def test_outcome_reasons_type_and_verified_benefit():
    outcome = OutcomeDoc(
        id=5,
        external_id="CG5",
        title="主轴异响快速诊断法",
        type="先进操作法",
        industry="C",
        description="三步判断主轴轴承磨损。",
        verified_benefit=Decimal("125000"),
    )
    index = MatchIndex.build(outcomes=[outcome])
    (result,) = index.match(MatchQuery(text="主轴异响", kind="outcome", industry="C"))
    assert result.name == "主轴异响快速诊断法"
    assert "成果类型：先进操作法" in result.reasons
    assert "已核实年效益 12.5 万元" in result.reasons


def test_ties_are_ordered_by_id_and_results_are_deterministic():
    docs = [craftsman(i) for i in (7, 3, 5)] + filler(10, 10)
    index = MatchIndex.build(craftsmen=docs)
    query = MatchQuery(text="主轴异响", limit=3)
    first = index.match(query)
    assert [r.id for r in first] == [3, 5, 7]
    assert len({r.score for r in first}) == 1
    rebuilt = MatchIndex.build(craftsmen=list(reversed(docs)))
    assert rebuilt.match(query) == first == index.match(query)


def test_limit_and_no_match():
    index = MatchIndex.build(craftsmen=[craftsman(i) for i in range(1, 6)])
    assert len(index.match(MatchQuery(text="主轴异响", limit=2))) == 2
    assert index.match(MatchQuery(text="完全无关的话题比如烹饪")) == ()
    assert index.match(MatchQuery(text="主轴", kind="outcome")) == ()


@pytest.mark.parametrize(("kind", "limit"), [("expert", 10), ("craftsman", 0), ("outcome", 101)])
def test_invalid_query_rejected(kind, limit):
    with pytest.raises(MatchError):
        MatchQuery(text="x", kind=kind, limit=limit)


def test_engine_finds_what_only_bigrams_see_and_baseline_misses():
    # No word in common (薄板/焊完 vs 中厚板/焊接), but the bigram 板焊 is shared.
    doc = craftsman(1, bio="擅长中厚板焊接。")
    index = MatchIndex.build(craftsmen=[doc, *filler(10, 10)])
    query = MatchQuery(text="薄板焊完变形")
    assert [r.id for r in index.match(query)] == [1]
    assert baseline_match(index, query) == ()


def test_baseline_has_only_bm25_and_matched_terms():
    index = MatchIndex.build(
        craftsmen=[craftsman(1, honours=("全国劳动模范",)), craftsman(2, capacity_left=0), *filler(10, 10)]
    )
    results = baseline_match(index, MatchQuery(text="主轴异响", industry="C", region="330199"))
    assert [r.id for r in results] == [1, 2]  # no capacity demotion, ties by id
    assert all(len(r.reasons) == 1 and r.reasons[0].startswith("匹配词：") for r in results)


@pytest.mark.parametrize(
    ("query", "doc", "expected"),
    [
        ("330199", "330199", (1.0, "同区县")),
        ("330199", "330105", (0.6, "同城市")),
        ("330100", "330199", (0.6, "同城市")),
        ("330199", "330200", (0.3, "同省份")),
        ("330199", "510100", (0.0, None)),
        (None, "330199", (0.0, None)),
        ("330199", "", (0.0, None)),
    ],
)
def test_region_proximity(query, doc, expected):
    assert region_proximity(query, doc) == expected


@pytest.mark.parametrize(
    ("honour", "level"),
    [
        ("全国劳动模范", NATIONAL),
        ("大国工匠", NATIONAL),
        ("中华技能大奖", NATIONAL),
        ("全国五一劳动奖章", NATIONAL),
        ("浙江省劳动模范", PROVINCIAL),
        ("浙江工匠", PROVINCIAL),
        ("四川省技术能手", PROVINCIAL),
        ("杭州市劳动模范", CITY),
        ("杭州工匠", CITY),
        ("首席技师", OTHER),
        ("", 0.0),
    ],
)
def test_honour_levels(honour, level):
    assert honour_level(honour) == level


def test_track_record_rules():
    none = craftsman_track_record(
        confirmed_solutions=0, accepted_answers=0, rating_avg=None, median_response_hours=None
    )
    some = craftsman_track_record(
        confirmed_solutions=12, accepted_answers=0, rating_avg=4.8, median_response_hours=5
    )
    slow = craftsman_track_record(
        confirmed_solutions=12, accepted_answers=0, rating_avg=4.8, median_response_hours=96
    )
    many = craftsman_track_record(
        confirmed_solutions=500, accepted_answers=0, rating_avg=5.0, median_response_hours=1
    )
    assert none == 0.0 and 0 < slow < some < many == 1.0
    assert outcome_track_record(None) == 0.0
    assert outcome_track_record(Decimal("1000000")) == 1.0
    assert 0 < outcome_track_record(Decimal("50000")) < outcome_track_record(Decimal("500000")) < 1.0


def test_shown_terms_drop_parts_of_longer_terms():
    assert shown_terms(["数控车床", "数控", "车床", "主轴", "异响"]) == ("数控车床", "主轴", "异响")
    assert len(shown_terms([f"词{i}" for i in range(9)])) == 5


def test_industry_names_mirror_the_orgs_choices():
    from gonghui.orgs.industries import Industry  # Django only in the test, never in the engine

    assert {choice.value: choice.label for choice in Industry} == INDUSTRY_NAMES


def test_single_characters_are_not_shown_as_reasons_when_words_matched() -> None:
    from gonghui.assist.engine.reasons import shown_terms

    assert shown_terms(["注塑", "具", "模具"]) == ("注塑", "模具")
    assert shown_terms(["具"]) == ("具",)
    assert shown_terms(["plc", "具"]) == ("plc",)
