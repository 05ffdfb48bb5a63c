"""Evaluation and roadshow services: setting up a panel, the live session, conflicts of
interest, scoring, closing with the ranking rules, amending after close.

Totals under the default rubric are 5a + 3b + 4c + 5d + 2e + f for the scores (a..f) in rubric
order (创新性 25, 技术先进性 15, 实用性 20, 经济效益 25, 社会效益 10, 现场表达 5); every expected
figure below is worked out by hand in the comment next to it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest

from gonghui.accounts.models import User
from gonghui.audit.models import AuditEntry
from gonghui.conftest import World
from gonghui.core.errors import DomainError, NotFound, PermissionDenied
from gonghui.innovation import errors
from gonghui.innovation.engine import DEFAULT_RUBRIC
from gonghui.innovation.evaluations import (
    evaluation_close,
    evaluation_create,
    evaluation_start,
    judge_declare_conflict,
    roadshow_set_phase,
    rubric_create,
    score_submit,
)
from gonghui.innovation.models import Assignment, Entry, Evaluation, Outcome, Rubric

S = Outcome.Status
pytestmark = pytest.mark.django_db

# Score tuples (rubric order) for the totals used below; the test checks each total.
SHEETS: dict[int, tuple[int, ...]] = {
    20: (1, 1, 1, 1, 1, 1),
    52: (2, 2, 3, 3, 3, 3),  # 10 + 6 + 12 + 15 + 6 + 3
    60: (3, 3, 3, 3, 3, 3),
    64: (3, 3, 4, 3, 3, 3),  # 15 + 9 + 16 + 15 + 6 + 3
    68: (4, 4, 3, 3, 3, 3),  # 20 + 12 + 12 + 15 + 6 + 3
    72: (4, 3, 3, 4, 4, 3),  # 20 + 9 + 12 + 20 + 8 + 3
    100: (5, 5, 5, 5, 5, 5),
}
TIE_NOVEL = (5, 1, 3, 3, 3, 3)  # 25 + 3 + 12 + 15 + 6 + 3 = 64, but 创新性 25 points


def scores(total: int | tuple[int, ...]) -> dict[str, int]:
    values = SHEETS[total] if isinstance(total, int) else total
    return dict(zip(DEFAULT_RUBRIC.codes, values, strict=True))


Build = Callable[..., Evaluation]


@pytest.fixture
def build(world: World, file_outcome, judges: list[User], rubric: Rubric) -> Build:
    """An evaluation hosted by the district with ``entries`` accepted outcomes and the first
    ``panel`` judges (seats 1..n)."""

    def make(entries: int = 2, panel: int = 3, **kwargs) -> Evaluation:
        outcomes = [file_outcome(S.ACCEPTED) for _ in range(entries)]
        return evaluation_create(
            actor=world.users["district_admin"],
            org_unit=world.district,
            title="2026 年职工创新成果路演",
            rubric=rubric,
            held_on=dt.date(2026, 5, 20),
            outcomes=outcomes,
            judges=[(u, "大国工匠") for u in judges[:panel]],
            **kwargs,
        )

    return make


def assignment(evaluation: Evaluation, seat: int, order: int) -> Assignment:
    return Assignment.objects.get(judge__evaluation=evaluation, judge__seat=seat, entry__order=order)


def score(
    evaluation: Evaluation, judges: list[User], order: int, totals: list[int | tuple[int, ...]]
) -> None:
    """Judges 1..n score the entry at ``order`` with these totals."""
    for seat, total in enumerate(totals, start=1):
        score_submit(
            assignment=assignment(evaluation, seat, order), actor=judges[seat - 1], scores=scores(total)
        )


def entries(evaluation: Evaluation) -> dict[int, Entry]:
    return {e.order: e for e in Entry.objects.filter(evaluation=evaluation)}


def test_score_table_is_right() -> None:
    from gonghui.innovation.engine import weighted_total

    for total, values in SHEETS.items():
        assert weighted_total(DEFAULT_RUBRIC, scores(values)) == total
    assert weighted_total(DEFAULT_RUBRIC, scores(TIE_NOVEL)) == 64


# --- setting up ------------------------------------------------------------------------------


def test_create_builds_running_order_panel_and_assignments(build: Build) -> None:
    evaluation = build(entries=3, panel=4, blind=True)
    assert evaluation.status == Evaluation.Status.PREPARING
    assert [(e.order, e.code) for e in evaluation.entries.order_by("order")] == [
        (1, "项目 01"),
        (2, "项目 02"),
        (3, "项目 03"),
    ]
    assert list(evaluation.judges.values_list("seat", "title")) == [(i, "大国工匠") for i in range(1, 5)]
    assert Assignment.objects.filter(entry__evaluation=evaluation).count() == 12
    assert AuditEntry.objects.filter(
        action="innovation.evaluation.create", target_id=str(evaluation.pk)
    ).exists()


def test_default_rubric_is_the_specs(world: World, rubric: Rubric) -> None:
    assert [(c["label"], c["weight"]) for c in rubric.criteria] == [
        ("创新性", "25"),
        ("技术先进性", "15"),
        ("实用性/可推广性", "20"),
        ("经济效益", "25"),
        ("社会/安全效益", "10"),
        ("现场表达与答辩", "5"),
    ]
    with pytest.raises(PermissionDenied):
        rubric_create(actor=world.users["street_b_admin"], org_unit=world.district, name="x")


def test_rubric_weights_must_sum_to_100(world: World) -> None:
    criteria = [{"code": "a", "label": "甲", "weight": "60", "anchors": {"1": "差", "5": "好"}}]
    with pytest.raises(DomainError) as err:
        rubric_create(
            actor=world.users["district_admin"], org_unit=world.district, name="坏", criteria=criteria
        )
    assert "100" in err.value.message
    assert not Rubric.objects.filter(name="坏").exists()


def _create(world: World, rubric: Rubric, outcomes: list[Outcome], judges: list[tuple[User, str]], **kw):
    return evaluation_create(
        actor=kw.pop("actor", world.users["district_admin"]),
        org_unit=kw.pop("org_unit", world.district),
        title=kw.pop("title", "路演"),
        rubric=rubric,
        held_on=dt.date(2026, 5, 20),
        outcomes=outcomes,
        judges=judges,
        **kw,
    )


def test_create_refuses_duplicate_judges(
    world: World, file_outcome, judges: list[User], rubric: Rubric
) -> None:
    outcome = file_outcome(S.ACCEPTED)
    with pytest.raises(DomainError) as err:
        _create(world, rubric, [outcome], [(judges[0], ""), (judges[0], "大国工匠")])
    assert (err.value.code, err.value.field) == (errors.EVALUATION_INVALID, "judges")
    assert "评委重复" in err.value.message
    assert not Evaluation.objects.exists()


def test_create_refuses_users_without_the_judge_role(
    world: World, file_outcome, judges: list[User], rubric: Rubric
) -> None:
    outcome = file_outcome(S.ACCEPTED)
    with pytest.raises(DomainError) as err:
        _create(world, rubric, [outcome], [(judges[0], ""), (world.users["worker_a"], "")])
    assert err.value.field == "judges"
    assert "worker_a 不是专家评委" in err.value.message
    assert not Evaluation.objects.exists()


def test_create_refuses_an_outcome_of_another_union(
    world: World, file_outcome, judges: list[User], rubric: Rubric
) -> None:
    outcome = file_outcome(S.ACCEPTED, title="甲企业的成果")  # enterprise A, under street A
    with pytest.raises(DomainError) as err:
        _create(
            world,
            rubric,
            [outcome],
            [(judges[0], "")],
            actor=world.users["street_b_admin"],
            org_unit=world.street_b,
        )
    assert err.value.field == "outcomes"
    assert "甲企业的成果" in err.value.message and "不属于本工会" in err.value.message


def test_create_refuses_an_ineligible_status(
    world: World, file_outcome, judges: list[User], rubric: Rubric
) -> None:
    draft = file_outcome(S.DRAFT, title="还在草稿")
    with pytest.raises(DomainError) as err:
        _create(world, rubric, [file_outcome(S.ACCEPTED), draft], [(judges[0], "")])
    assert err.value.field == "outcomes"
    assert "还在草稿" in err.value.message and "草稿" in err.value.message
    assert not Evaluation.objects.exists()


def test_create_refuses_other_bad_input(
    world: World, file_outcome, judges: list[User], rubric: Rubric
) -> None:
    outcome = file_outcome(S.ACCEPTED)
    cases = [
        ({"title": "  "}, "title"),
        ({"outcomes": []}, "outcomes"),
        ({"outcomes": [outcome, outcome]}, "outcomes"),
        ({"judges": []}, "judges"),
        ({"presentation_seconds": 30}, "presentation_seconds"),
    ]
    for over, field in cases:
        args = {"outcomes": [outcome], "judges": [(judges[0], "")], **over}
        with pytest.raises(DomainError) as err:
            _create(world, rubric, args.pop("outcomes"), args.pop("judges"), **args)
        assert err.value.field == field, over
    with pytest.raises(PermissionDenied):
        _create(world, rubric, [outcome], [(judges[0], "")], actor=world.users["district_viewer"])


# --- the live session --------------------------------------------------------------------------


def test_scores_before_start_are_refused(build: Build, judges: list[User]) -> None:
    evaluation = build()
    with pytest.raises(DomainError) as err:
        score_submit(assignment=assignment(evaluation, 1, 1), actor=judges[0], scores=scores(60))
    assert err.value.code == errors.EVALUATION_STATE
    assert assignment(evaluation, 1, 1).scores is None


def test_start_and_phases(world: World, build: Build) -> None:
    admin = world.users["district_admin"]
    evaluation = build(entries=2)
    with pytest.raises(DomainError):
        roadshow_set_phase(
            evaluation=evaluation,
            actor=admin,
            entry=entries(evaluation)[1],
            phase=Evaluation.Phase.PRESENTING,
        )
    with pytest.raises(PermissionDenied):
        evaluation_start(evaluation=evaluation, actor=world.users["district_viewer"])
    evaluation = evaluation_start(evaluation=evaluation, actor=admin)
    assert (evaluation.status, evaluation.current_entry, evaluation.phase) == (
        "live",
        entries(evaluation)[1],
        "idle",
    )
    second = entries(evaluation)[2]
    evaluation = roadshow_set_phase(evaluation=evaluation, actor=admin, entry=second, phase="qa")
    assert (evaluation.current_entry, evaluation.phase) == (second, "qa")
    assert evaluation.phase_started_at is not None
    with pytest.raises(DomainError) as err:
        roadshow_set_phase(evaluation=evaluation, actor=admin, entry=second, phase="dance")
    assert err.value.field == "phase"
    with pytest.raises(DomainError):
        evaluation_start(evaluation=evaluation, actor=admin)


def test_phase_refuses_an_entry_of_another_evaluation(world: World, build: Build) -> None:
    admin = world.users["district_admin"]
    first, other = build(), build()
    evaluation_start(evaluation=first, actor=admin)
    with pytest.raises(NotFound):
        roadshow_set_phase(evaluation=first, actor=admin, entry=entries(other)[1], phase="presenting")


def test_scoring_validation(world: World, build: Build, judges: list[User]) -> None:
    evaluation = evaluation_start(evaluation=build(), actor=world.users["district_admin"])
    target = assignment(evaluation, 1, 1)
    missing = scores(60)
    del missing["social"]
    with pytest.raises(DomainError) as err:
        score_submit(assignment=target, actor=judges[0], scores=missing)
    assert (err.value.code, err.value.field) == (errors.SCORE_INVALID, "social")
    assert "社会/安全效益" in err.value.message
    with pytest.raises(DomainError) as err:
        score_submit(assignment=target, actor=judges[0], scores={**scores(60), "novelty": 6})
    assert (err.value.field, err.value.message) == ("novelty", "“创新性”的分值须在 1–5 之间")
    with pytest.raises(DomainError) as err:
        score_submit(assignment=target, actor=judges[0], scores={**scores(60), "economic": "四"})
    assert err.value.field == "economic"
    with pytest.raises(DomainError) as err:
        score_submit(assignment=target, actor=judges[0], scores={**scores(60), "beauty": 5})
    assert err.value.field == "beauty"
    # Another judge's sheet is not theirs to fill.
    with pytest.raises(PermissionDenied):
        score_submit(assignment=target, actor=judges[1], scores=scores(60))
    assert Assignment.objects.get(pk=target.pk).scores is None
    # Form values arrive as strings; resubmitting replaces the sheet.
    score_submit(assignment=target, actor=judges[0], scores={k: str(v) for k, v in scores(68).items()})
    done = score_submit(assignment=target, actor=judges[0], scores=scores(72))
    assert (done.total, done.scores) == (Decimal("72.00"), scores(72))


def test_an_excused_judge_cannot_score(world: World, build: Build, judges: list[User]) -> None:
    evaluation = evaluation_start(evaluation=build(), actor=world.users["district_admin"])
    target = assignment(evaluation, 2, 1)
    with pytest.raises(DomainError) as err:
        judge_declare_conflict(assignment=target, actor=judges[1], reason="  ")
    assert err.value.code == errors.REASON_REQUIRED
    with pytest.raises(PermissionDenied):
        judge_declare_conflict(assignment=target, actor=judges[0], reason="不是我的")
    judge_declare_conflict(assignment=target, actor=judges[1], reason="曾为该项目第一完成人的师傅")
    with pytest.raises(DomainError) as err:
        score_submit(assignment=target, actor=judges[1], scores=scores(60))
    assert err.value.code == errors.JUDGE_EXCUSED


def test_recusal_withdraws_the_score_and_the_ranking_ignores_it(
    world: World, build: Build, judges: list[User]
) -> None:
    admin = world.users["district_admin"]
    evaluation = evaluation_start(evaluation=build(entries=2, panel=3), actor=admin)
    score(evaluation, judges, 1, [60, 60, 100])
    score(evaluation, judges, 2, [64, 64, 64])
    withdrawn = judge_declare_conflict(
        assignment=assignment(evaluation, 3, 1), actor=judges[2], reason="与第一完成人同一班组"
    )
    assert (withdrawn.excused, withdrawn.scores, withdrawn.total, withdrawn.submitted_at) == (
        True,
        None,
        None,
        None,
    )
    recusal = AuditEntry.objects.get(action="innovation.evaluation.recuse")
    assert recusal.before["scores"] == scores(100)
    # Judges 1 and 2 scored both entries, judge 3 only entry 2: the subsets differ, so the
    # totals are normalised per judge. Judges 1 and 2 each gave 60 and 64 (mean 62, sd 2): z
    # -1 for entry 1, +1 for entry 2. Judge 3 scored one entry and keeps 64. Panel of the
    # counted totals 60, 60, 64, 64, 64: mean 62.4, sd sqrt((2·2.4² + 3·1.6²)/5) = sqrt(3.84)
    # = 1.959591…; entry 1: 62.4 − 1.959591 = 60.44 (both judges); entry 2: mean(64.359591,
    # 64.359591, 64) = 64.239727… = 64.24. Without judge 3's withdrawn 100, entry 1 ranks 2nd.
    closed = evaluation_close(evaluation=evaluation, actor=admin)
    assert closed.method == "z_score+mean"
    first, second = entries(evaluation)[1], entries(evaluation)[2]
    assert (first.final_score, first.rank) == (Decimal("60.44"), 2)
    assert (second.final_score, second.rank) == (Decimal("64.24"), 1)
    assert "评委 3号 回避" in first.explanation
    assert any("保留原始分" in line for line in second.explanation)


def test_conflict_after_close_is_refused(world: World, build: Build, judges: list[User]) -> None:
    admin = world.users["district_admin"]
    evaluation = evaluation_start(evaluation=build(entries=1, panel=1), actor=admin)
    score(evaluation, judges, 1, [60])
    evaluation_close(evaluation=evaluation, actor=admin)
    with pytest.raises(DomainError) as err:
        judge_declare_conflict(assignment=assignment(evaluation, 1, 1), actor=judges[0], reason="迟到的申报")
    assert err.value.code == errors.EVALUATION_STATE


# --- closing: the ranking rules ----------------------------------------------------------------


def test_close_with_five_judges_uses_the_trimmed_mean(world: World, build: Build, judges: list[User]) -> None:
    admin = world.users["district_admin"]
    evaluation = evaluation_start(evaluation=build(entries=2, panel=5), actor=admin)
    # Entry 1: 100, 100, 68, 60, 20 → drop one 100 (judge 1, first by code) and 20 →
    # (100 + 68 + 60) / 3 = 76.00; the plain mean would be 348 / 5 = 69.60.
    score(evaluation, judges, 1, [100, 100, 68, 60, 20])
    # Entry 2: 72 from everyone → 72.00 either way. The trimmed mean puts entry 1 first.
    score(evaluation, judges, 2, [72] * 5)
    closed = evaluation_close(evaluation=evaluation, actor=admin)
    assert closed.status == Evaluation.Status.CLOSED and closed.closed_at is not None
    assert closed.method == "trimmed_mean"
    first, second = entries(evaluation)[1], entries(evaluation)[2]
    assert (first.final_score, first.rank) == (Decimal("76.00"), 1)
    assert (second.final_score, second.rank) == (Decimal("72.00"), 2)
    assert "去掉最高分：评委 1号 100.00" in first.explanation
    assert "去掉最低分：评委 5号 20.00" in first.explanation
    assert "5 位评委计分，去掉一个最高分和一个最低分后取平均（3 位）：76.00" in first.explanation
    audit = AuditEntry.objects.get(action="innovation.evaluation.close")
    assert audit.after == {"unscored": 0, "method": "trimmed_mean"}


def test_close_with_fewer_judges_uses_the_mean(world: World, build: Build, judges: list[User]) -> None:
    admin = world.users["district_admin"]
    evaluation = evaluation_start(evaluation=build(entries=2, panel=3), actor=admin)
    # Entry 1: (100 + 68 + 20) / 3 = 62.666… → 62.67; entry 2: 60 · 3 / 3 = 60.00.
    score(evaluation, judges, 1, [100, 68, 20])
    score(evaluation, judges, 2, [60, 60, 60])
    closed = evaluation_close(evaluation=evaluation, actor=admin)
    assert closed.method == "mean"
    first, second = entries(evaluation)[1], entries(evaluation)[2]
    assert (first.final_score, first.rank) == (Decimal("62.67"), 1)
    assert (second.final_score, second.rank) == (Decimal("60.00"), 2)
    assert "3 位评委计分，算术平均（3 位）：62.67" in first.explanation


def test_ties_are_broken_in_rubric_order(world: World, build: Build, judges: list[User]) -> None:
    admin = world.users["district_admin"]
    evaluation = evaluation_start(evaluation=build(entries=2, panel=1), actor=admin)
    # Both total 64; entry 2 has 25 创新性 points against entry 1's 15, and 创新性 comes first.
    score(evaluation, judges, 1, [64])
    score(evaluation, judges, 2, [TIE_NOVEL])
    evaluation_close(evaluation=evaluation, actor=admin)
    first, second = entries(evaluation)[1], entries(evaluation)[2]
    assert (first.final_score, second.final_score) == (Decimal("64.00"), Decimal("64.00"))
    assert (first.rank, second.rank) == (2, 1)
    # The explanation names the other entry by its code, not by a database id.
    assert (
        "与 项目 01 同分 64.00，按评分项顺序比较“创新性”：本项目 25.00，项目 01 15.00" in second.explanation
    )


def test_z_scores_when_judges_scored_different_subsets(
    world: World, build: Build, judges: list[User]
) -> None:
    """Three entries, each judge excused from one: 1 from C, 2 from A, 3 from B.

    Raw totals: judge 1 A 68, B 52 (mean 60, sd 8); judge 2 B 100, C 68 (mean 84, sd 16);
    judge 3 A 52, C 20 (mean 36, sd 16). Every judge's higher total is z +1, the lower −1.
    The six counted totals 68, 52, 100, 68, 52, 20 have mean 60 and sd
    sqrt((8² + 8² + 40² + 8² + 8² + 40²) / 6) = sqrt(576) = 24, so z maps to 60 ± 24:
    A = (84 + 84) / 2 = 84.00, B = (36 + 84) / 2 = 60.00, C = (36 + 36) / 2 = 36.00.
    The raw means would rank B (76) above A (60): the lenient judge 2 no longer decides.
    """
    admin = world.users["district_admin"]
    evaluation = evaluation_start(evaluation=build(entries=3, panel=3), actor=admin)
    for seat, order in ((1, 3), (2, 1), (3, 2)):
        judge_declare_conflict(
            assignment=assignment(evaluation, seat, order), actor=judges[seat - 1], reason="回避"
        )
    for seat, order, total in ((1, 1, 68), (1, 2, 52), (2, 2, 100), (2, 3, 68), (3, 1, 52), (3, 3, 20)):
        score_submit(
            assignment=assignment(evaluation, seat, order), actor=judges[seat - 1], scores=scores(total)
        )
    closed = evaluation_close(evaluation=evaluation, actor=admin)
    assert closed.method == "z_score+mean"
    a, b, c = (entries(evaluation)[i] for i in (1, 2, 3))
    assert [(a.final_score, a.rank), (b.final_score, b.rank), (c.final_score, c.rank)] == [
        (Decimal("84.00"), 1),
        (Decimal("60.00"), 2),
        (Decimal("36.00"), 3),
    ]
    assert "评委 2号 原始分 100.00 → 标准化后 84.00" in b.explanation
    assert any("换算到全体均值 60.00、标准差 24.00" in line for line in b.explanation)


def test_an_entry_nobody_scored_has_no_rank(world: World, build: Build, judges: list[User]) -> None:
    admin = world.users["district_admin"]
    evaluation = evaluation_start(evaluation=build(entries=2, panel=2), actor=admin)
    score(evaluation, judges, 1, [60, 64])
    closed = evaluation_close(evaluation=evaluation, actor=admin)
    unscored = entries(evaluation)[2]
    assert (unscored.rank, unscored.final_score, unscored.explanation) == (None, None, ["无有效评分"])
    assert AuditEntry.objects.get(action="innovation.evaluation.close").after["unscored"] == 2
    assert closed.method == "mean"
    with pytest.raises(DomainError):
        evaluation_close(evaluation=closed, actor=admin)


# --- after close ---------------------------------------------------------------------------------


def test_amend_after_close_needs_a_reason_is_audited_and_reranks(
    world: World, build: Build, judges: list[User]
) -> None:
    admin = world.users["district_admin"]
    evaluation = evaluation_start(evaluation=build(entries=2, panel=3), actor=admin)
    score(evaluation, judges, 1, [60, 60, 60])  # 60.00
    score(evaluation, judges, 2, [64, 64, 52])  # (64 + 64 + 52) / 3 = 60.00 → tie
    evaluation_close(evaluation=evaluation, actor=admin)
    target = assignment(evaluation, 3, 2)
    with pytest.raises(DomainError) as err:
        score_submit(assignment=target, actor=judges[2], scores=scores(100), reason=" ")
    assert (err.value.code, err.value.field) == (errors.REASON_REQUIRED, "reason")
    assert Assignment.objects.get(pk=target.pk).total == Decimal("52.00")
    assert not AuditEntry.objects.filter(action="innovation.evaluation.amend").exists()

    amended = score_submit(
        assignment=target, actor=judges[2], scores=scores(100), reason="误将创新性录为 2 分"
    )
    assert amended.amended_reason == "误将创新性录为 2 分"
    audit = AuditEntry.objects.get(action="innovation.evaluation.amend")
    assert (audit.actor, audit.target_id) == (judges[2], str(evaluation.pk))
    assert audit.before == {"scores": scores(52), "total": "52.00"}
    assert audit.after["reason"] == "误将创新性录为 2 分"
    # Entry 2 is now (64 + 64 + 100) / 3 = 76.00 and first.
    first, second = entries(evaluation)[1], entries(evaluation)[2]
    assert (second.final_score, second.rank) == (Decimal("76.00"), 1)
    assert (first.final_score, first.rank) == (Decimal("60.00"), 2)
    assert Evaluation.objects.get(pk=evaluation.pk).status == Evaluation.Status.CLOSED
