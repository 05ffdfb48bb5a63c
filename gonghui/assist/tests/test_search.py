"""The search index behind one interface: the same answers on PostgreSQL (tsvector GIN,
ts_rank_cd) and SQLite (FTS5, bm25). Run this file on both databases (DATABASE_URL set to a
PostgreSQL database for the second run)."""

from __future__ import annotations

import pytest
from django.db import connection

from gonghui.assist import search
from gonghui.assist.models import SearchEntry

pytestmark = pytest.mark.django_db

DOCS = [
    (1, "擅长数控机床主轴异响、主轴发热故障维修，熟悉FANUC 0i-TF系统。"),
    (2, "从事注塑模具设计，解决产品披锋、缩水、困气问题。"),
    (3, "数控车削细长轴，CK6150数控车床，螺纹加工。"),
    (4, "变电站继电保护调试，主变压器检修。"),
    (5, "汽车变速箱维修与新能源汽车电池检测。"),
]


def _words(text: str) -> tuple[str, ...]:
    return search.views_of(text).words


def _bigrams(text: str) -> tuple[str, ...]:
    return search.views_of(text).bigrams


@pytest.fixture
def indexed() -> None:
    assert search.index_documents("craftsman", DOCS) == len(DOCS)
    search.index_documents("outcome", [(1, "注塑机料筒温度控制改进"), (9, "主轴异响三步快速诊断法")])


def test_runs_on_the_expected_backend() -> None:
    assert connection.vendor in ("sqlite", "postgresql")


def test_words_view_ranks_the_matching_documents_first(indexed: None) -> None:
    hits = search.search("craftsman", "words", _words("数控机床主轴异响，转速高了发热"), 10)
    ids = [object_id for object_id, _ in hits]
    assert ids[0] == 1
    assert set(ids) <= {1, 3}  # only documents holding a query word
    assert all(score > 0 for _, score in hits)
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)


def test_bigram_view_catches_what_words_miss(indexed: None) -> None:
    # "披锋" in a different wording: the bigram view still finds the mould craftsman.
    hits = search.search("craftsman", "bigrams", _bigrams("产品有披锋毛刺"), 10)
    assert hits and hits[0][0] == 2


def test_kinds_are_separate_and_or_semantics(indexed: None) -> None:
    hits = search.search("outcome", "words", _words("主轴 异响 料筒"), 10)
    assert {object_id for object_id, _ in hits} == {1, 9}
    assert search.search("answer", "words", _words("主轴"), 10) == []


def test_model_numbers_match_exactly_on_both_views(indexed: None) -> None:
    for view, terms in (("words", _words("ＣＫ－６１５０")), ("bigrams", _bigrams("CK 6150"))):
        assert [i for i, _ in search.search("craftsman", view, terms, 10)] == [3]


def test_limit_ties_and_restrict_ids(indexed: None) -> None:
    search.index_documents("craftsman", [(10, "主轴维修"), (11, "主轴维修"), (12, "主轴维修")])
    hits = search.search("craftsman", "words", ["主轴", "维修"], 3)
    assert len(hits) == 3
    restricted = search.search("craftsman", "words", ["主轴"], 10, restrict_ids=[11, 12, 3])
    assert [i for i, _ in restricted] == [11, 12]  # equal scores: by id
    assert search.search("craftsman", "words", ["主轴"], 10, restrict_ids=[]) == []


@pytest.mark.parametrize(
    "terms",
    [
        ["it's", "a\\b", '"quoted"', "x | y", "!", "(", "NEAR", "OR", "words:主轴", "-1", "*"],
        ["' | 主轴 & !"],
        ["", "   "],
    ],
)
def test_hostile_terms_are_quoted_not_parsed(indexed: None, terms: list[str]) -> None:
    # Never a syntax error: each token is a quoted phrase / lexeme.
    hits = search.search("craftsman", "words", terms, 10)
    assert all(isinstance(i, int) for i, _ in hits)


def test_empty_query_and_unknown_view(indexed: None) -> None:
    assert search.search("craftsman", "words", [], 10) == []
    assert search.search("craftsman", "words", ["主轴"], 0) == []
    with pytest.raises(ValueError):
        search.search("craftsman", "title", ["主轴"], 10)


def test_reindex_is_an_upsert_and_remove_deletes(indexed: None) -> None:
    search.index_documents("craftsman", [(4, "焊接机器人编程与焊缝跟踪")])
    assert SearchEntry.objects.filter(kind="craftsman").count() == len(DOCS)
    assert search.search("craftsman", "words", _words("继电保护"), 10) == []
    assert [i for i, _ in search.search("craftsman", "words", _words("焊缝跟踪"), 10)] == [4]
    assert search.remove("craftsman", [4, 999]) == 1
    assert search.search("craftsman", "words", _words("焊缝跟踪"), 10) == []
    assert search.search("craftsman", "bigrams", _bigrams("焊缝跟踪"), 10) == []


def test_stored_views_round_trip(indexed: None) -> None:
    stored = search.indexed_views("craftsman", [1, 3, 42])
    assert set(stored) == {1, 3}
    assert stored[3] == search.views_of(DOCS[2][1])


def test_escaping_helpers() -> None:
    assert search.tsquery_lexeme("it's") == "'it''s'"
    assert search.tsquery_lexeme("a\\b") == "'a\\\\b'"
    assert search.fts5_phrase('say "hi"') == '"say ""hi"""'


def test_document_frequencies_follow_indexing_and_removal() -> None:
    from gonghui.assist.models import SearchTerm
    from gonghui.assist.search import TOTAL, index_documents, remove

    def df(view: str, term: str) -> int:
        return (
            SearchTerm.objects.filter(kind="craftsman", view=view, term=term)
            .values_list("df", flat=True)
            .first()
            or 0
        )

    index_documents("craftsman", [(1, "数控车床 主轴 异响"), (2, "数控铣床 主轴 维修"), (3, "焊接 变形")])
    assert df(*TOTAL) == 3
    assert df("words", "主轴") == 2 and df("bigrams", "主轴") == 2
    index_documents("craftsman", [(2, "焊接 机器人")])  # replaced: its old terms no longer count
    assert df(*TOTAL) == 3 and df("words", "主轴") == 1 and df("words", "焊接") == 2
    remove("craftsman", [1, 3])
    assert df(*TOTAL) == 1 and df("words", "主轴") == 0 and df("words", "焊接") == 1


def test_selective_terms_leave_out_terms_most_documents_hold() -> None:
    from gonghui.assist.search import index_documents, selective_terms

    # 60 documents all holding 设备, a few holding the specific terms.
    docs = [(i, f"设备 维护 记录{i}") for i in range(1, 61)] + [
        (100, "设备 伺服电机 过热报警"),
        (101, "设备 伺服电机"),
    ]
    index_documents("outcome", docs)
    chosen = selective_terms("outcome", "words", ["设备", "伺服电机", "不存在的词"])
    assert chosen == [
        "伺服电机"
    ]  # 设备: 62 of 62 documents (> max(50, 5 %)); the unknown word matches nothing
    assert selective_terms("outcome", "words", ["设备"]) == ["设备"]  # all common: the rarest are kept
