"""Evaluation pages: who sees which page (404 for "not found" and "not yours" alike), the host's
and the judges' flows through the views, blind mode, exports, certificates, query counts."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from gonghui.accounts.models import User
from gonghui.conftest import World
from gonghui.innovation.engine import DEFAULT_RUBRIC
from gonghui.innovation.evaluations import (
    evaluation_close,
    evaluation_create,
    evaluation_start,
    roadshow_set_phase,
    score_submit,
)
from gonghui.innovation.models import Assignment, Evaluation, Outcome, Rubric

S = Outcome.Status
pytestmark = pytest.mark.django_db

UNIFORM = {code: 4 for code in DEFAULT_RUBRIC.codes}  # 80.00


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


Build = Callable[..., Evaluation]


@pytest.fixture
def build(world: World, file_outcome, judges: list[User], rubric: Rubric) -> Build:
    def make(
        entries: int = 3, panel: int = 3, *, outcomes: list[Outcome] | None = None, **kwargs: Any
    ) -> Evaluation:
        return evaluation_create(
            actor=world.users["district_admin"],
            org_unit=world.district,
            title=kwargs.pop("title", "示范区职工创新路演"),
            rubric=rubric,
            held_on=dt.date(2026, 5, 20),
            outcomes=outcomes
            or [file_outcome(S.ACCEPTED, title=f"成果{i}号") for i in range(1, entries + 1)],
            judges=[(u, "大国工匠") for u in judges[:panel]],
            venue="职工服务中心报告厅",
            **kwargs,
        )

    return make


def sheet(evaluation: Evaluation, seat: int, order: int) -> Assignment:
    return Assignment.objects.get(judge__evaluation=evaluation, judge__seat=seat, entry__order=order)


def score_all(evaluation: Evaluation, judges: list[User], totals: dict[int, list[int]]) -> None:
    """``{order: [score per criterion of judge 1, judge 2, …]}`` with uniform sheets."""
    for order, levels in totals.items():
        for seat, level in enumerate(levels, start=1):
            score_submit(
                assignment=sheet(evaluation, seat, order),
                actor=judges[seat - 1],
                scores=dict.fromkeys(DEFAULT_RUBRIC.codes, level),
            )


def staff_urls(evaluation: Evaluation) -> dict[str, str]:
    args = [evaluation.pk]
    return {
        "detail": reverse("innovation:evaluation_detail", args=args),
        "screen": reverse("innovation:evaluation_screen", args=args),
        "board": reverse("innovation:evaluation_board", args=args),
        "results": reverse("innovation:evaluation_results", args=args),
    }


# --- pages render for the right user -----------------------------------------------------------


def test_host_pages_render(world: World, build: Build) -> None:
    evaluation = build()
    admin = client_for(world.users["district_admin"])
    listing = admin.get(reverse("innovation:evaluation_list"))
    assert listing.status_code == 200
    assert "示范区职工创新路演" in listing.content.decode() and "新建路演" in listing.content.decode()
    detail = admin.get(staff_urls(evaluation)["detail"]).content.decode()
    assert "开始评审" in detail and "成果1号" in detail and "已评 0/3" in detail
    screen = admin.get(staff_urls(evaluation)["screen"]).content.decode()
    assert 'hx-trigger="every 2s"' in screen
    assert f'hx-get="{staff_urls(evaluation)["board"]}"' in screen
    assert "路演即将开始" in screen and "cdn" not in screen.lower()
    board = admin.get(staff_urls(evaluation)["board"])
    assert board.status_code == 200 and "<html" not in board.content.decode()
    results = admin.get(staff_urls(evaluation)["results"]).content.decode()
    assert "评审尚未结束" in results
    assert admin.get(reverse("innovation:evaluation_create")).status_code == 200


def test_viewer_sees_the_console_but_cannot_run_it(world: World, build: Build) -> None:
    evaluation = build()
    viewer = client_for(world.users["district_viewer"])
    page = viewer.get(staff_urls(evaluation)["detail"])
    assert page.status_code == 200 and "开始评审" not in page.content.decode()
    assert viewer.post(reverse("innovation:evaluation_start", args=[evaluation.pk])).status_code == 404
    assert Evaluation.objects.get(pk=evaluation.pk).status == Evaluation.Status.PREPARING
    listing = viewer.get(reverse("innovation:evaluation_list")).content.decode()
    assert "新建路演" not in listing
    assert viewer.get(reverse("innovation:evaluation_create")).status_code == 404


@pytest.mark.parametrize("username", ["street_b_admin", "street_a_admin", "judge1", "worker_a", "nobody"])
def test_outsiders_and_judges_get_404_on_staff_pages(world: World, build: Build, username: str) -> None:
    """The district hosts it: staff of a street below see nothing above them, judges of the
    panel only their own sheet. Nothing changes when they try the host's buttons."""
    evaluation = build()
    evaluation_start(evaluation=evaluation, actor=world.users["district_admin"])
    user = User.objects.get(username=username)
    client = client_for(user)
    for name, url in staff_urls(evaluation).items():
        assert client.get(url).status_code == 404, name
    for action in ("evaluation_close", "evaluation_start"):
        assert client.post(reverse(f"innovation:{action}", args=[evaluation.pk])).status_code == 404
    entry = evaluation.entries.get(order=2)
    phase = client.post(
        reverse("innovation:evaluation_phase", args=[evaluation.pk]), {"entry": entry.pk, "phase": "qa"}
    )
    assert phase.status_code == 404
    assert Evaluation.objects.get(pk=evaluation.pk).status == Evaluation.Status.LIVE
    assert Evaluation.objects.get(pk=evaluation.pk).phase == "idle"


def test_a_missing_evaluation_is_the_same_404(world: World) -> None:
    admin = client_for(world.users["district_admin"])
    for url in staff_urls(Evaluation(pk=999_999)).values():
        assert admin.get(url).status_code == 404


def test_anonymous_users_are_sent_to_login(build: Build) -> None:
    evaluation = build()
    urls = [*staff_urls(evaluation).values(), reverse("innovation:judge_home")]
    for url in urls:
        response = Client().get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_non_staff_on_the_list_land_on_their_judge_page(world: World, judges: list[User]) -> None:
    response = client_for(judges[0]).get(reverse("innovation:evaluation_list"))
    assert response.status_code == 302 and response["Location"] == reverse("innovation:judge_home")


# --- the judges' pages -------------------------------------------------------------------------


def test_judge_pages(world: World, build: Build, judges: list[User]) -> None:
    evaluation = build()
    evaluation = evaluation_start(evaluation=evaluation, actor=world.users["district_admin"])
    judge = client_for(judges[0])
    home = judge.get(reverse("innovation:judge_home")).content.decode()
    assert "示范区职工创新路演" in home and "1号评委" in home and "大国工匠" in home
    page = judge.get(reverse("innovation:judge_sheet", args=[evaluation.pk])).content.decode()
    assert page.count("待评") == 3 and 'data-testid="current-marker"' in page
    mine = sheet(evaluation, 1, 1)
    form = judge.get(reverse("innovation:judge_score", args=[mine.pk])).content.decode()
    for criterion in DEFAULT_RUBRIC.criteria:
        assert criterion.name in form
        for text in criterion.anchors.values():
            assert text in form
    assert 'name="novelty"' in form and 'value="5"' in form and "申报回避" in form


def test_a_judge_cannot_open_another_judges_sheet(world: World, build: Build, judges: list[User]) -> None:
    evaluation = evaluation_start(evaluation=build(), actor=world.users["district_admin"])
    theirs = sheet(evaluation, 2, 1)
    me = client_for(judges[0])
    assert me.get(reverse("innovation:judge_score", args=[theirs.pk])).status_code == 404
    assert me.post(reverse("innovation:judge_score", args=[theirs.pk]), UNIFORM).status_code == 404
    assert me.post(reverse("innovation:judge_conflict", args=[theirs.pk]), {"reason": "x"}).status_code == 404
    assert me.get(reverse("innovation:judge_score", args=[999_999])).status_code == 404
    untouched = Assignment.objects.get(pk=theirs.pk)
    assert (untouched.scores, untouched.excused) == (None, False)
    # The host is staff, not a judge of this sheet: the phone pages are the judges' own.
    admin = client_for(world.users["district_admin"])
    assert admin.get(reverse("innovation:judge_score", args=[theirs.pk])).status_code == 404
    assert admin.get(reverse("innovation:judge_sheet", args=[evaluation.pk])).status_code == 404
    # A judge who is not on this panel.
    outsider = client_for(judges[5])
    assert outsider.get(reverse("innovation:judge_sheet", args=[evaluation.pk])).status_code == 404


def test_a_judge_sees_only_their_own_scores(world: World, build: Build, judges: list[User]) -> None:
    evaluation = evaluation_start(evaluation=build(entries=1), actor=world.users["district_admin"])
    score_all(evaluation, judges, {1: [3, 5, 5]})  # 60.00, 100.00, 100.00
    page = client_for(judges[0]).get(reverse("innovation:judge_sheet", args=[evaluation.pk])).content.decode()
    assert "60.00" in page and "100.00" not in page
    form = client_for(judges[0]).get(reverse("innovation:judge_score", args=[sheet(evaluation, 1, 1).pk]))
    assert "100.00" not in form.content.decode()


def test_judge_scores_from_the_phone_form(world: World, build: Build, judges: list[User]) -> None:
    evaluation = build()
    mine = sheet(evaluation, 1, 2)
    url = reverse("innovation:judge_score", args=[mine.pk])
    judge = client_for(judges[0])
    refused = judge.post(url, UNIFORM)
    assert refused.status_code == 200 and "评审尚未开始" in refused.content.decode()
    evaluation_start(evaluation=evaluation, actor=world.users["district_admin"])
    incomplete = judge.post(url, {**UNIFORM, "social": ""})
    assert incomplete.status_code == 200
    assert "请为“社会/安全效益”打分（1–5）" in incomplete.content.decode()
    assert 'id="novelty-4" value="4" autocomplete="off" checked' in incomplete.content.decode()
    assert Assignment.objects.get(pk=mine.pk).scores is None
    done = judge.post(url, UNIFORM, follow=True)
    assert done.redirect_chain[-1][0] == reverse("innovation:judge_sheet", args=[evaluation.pk])
    assert "项目 02 已提交：80.00 分" in done.content.decode()
    assert Assignment.objects.get(pk=mine.pk).total == 80


def test_judge_declares_a_conflict(world: World, build: Build, judges: list[User]) -> None:
    evaluation = evaluation_start(evaluation=build(), actor=world.users["district_admin"])
    mine = sheet(evaluation, 2, 3)
    judge = client_for(judges[1])
    url = reverse("innovation:judge_conflict", args=[mine.pk])
    empty = judge.post(url, {"reason": " "}, follow=True)
    assert "请说明回避理由" in empty.content.decode()
    assert not Assignment.objects.get(pk=mine.pk).excused
    done = judge.post(url, {"reason": "该项目第一完成人是我的徒弟"}, follow=True)
    assert "已申报回避 项目 03" in done.content.decode()
    stored = Assignment.objects.get(pk=mine.pk)
    assert (stored.excused, stored.conflict_reason) == (True, "该项目第一完成人是我的徒弟")
    console = client_for(world.users["district_admin"]).get(staff_urls(evaluation)["detail"])
    assert "已评 0/2，回避 1" in console.content.decode()


def test_amending_after_close_needs_a_reason(world: World, build: Build, judges: list[User]) -> None:
    admin = world.users["district_admin"]
    evaluation = evaluation_start(evaluation=build(entries=2), actor=admin)
    score_all(evaluation, judges, {1: [3, 3, 3], 2: [4, 4, 4]})
    evaluation_close(evaluation=evaluation, actor=admin)
    mine = sheet(evaluation, 1, 1)
    url = reverse("innovation:judge_score", args=[mine.pk])
    judge = client_for(judges[0])
    form = judge.get(url).content.decode()
    assert "修改理由" in form and "申报回避" not in form
    missing = judge.post(url, dict.fromkeys(DEFAULT_RUBRIC.codes, 5))
    assert "修改评分须说明理由" in missing.content.decode()
    judge.post(url, {**dict.fromkeys(DEFAULT_RUBRIC.codes, 5), "reason": "录入错误"})
    assert Assignment.objects.get(pk=mine.pk).amended_reason == "录入错误"


# --- the host's flow through the views -------------------------------------------------------


def test_host_runs_the_session_and_prints_certificates(
    world: World, build: Build, judges: list[User]
) -> None:
    evaluation = build(entries=3)
    admin = client_for(world.users["district_admin"])
    certificate = reverse(
        "innovation:evaluation_certificate", args=[evaluation.pk, evaluation.entries.get(order=1).pk]
    )
    admin.post(reverse("innovation:evaluation_start", args=[evaluation.pk]))
    second = evaluation.entries.get(order=2)
    admin.post(
        reverse("innovation:evaluation_phase", args=[evaluation.pk]),
        {"entry": second.pk, "phase": "presenting"},
    )
    live = Evaluation.objects.get(pk=evaluation.pk)
    assert (live.status, live.current_entry_id, live.phase) == ("live", second.pk, "presenting")
    screen = admin.get(staff_urls(evaluation)["board"]).content.decode()
    assert 'data-testid="timer"' in screen and 'data-seconds="300"' in screen and "项目 02" in screen
    score_all(evaluation, judges, {1: [3, 3, 3], 2: [5, 4, 4], 3: [4, 4, 4]})  # 60, 86.67, 80
    board = admin.get(staff_urls(evaluation)["board"]).content.decode()
    assert 'data-testid="count-2">3/3<' in board and "86.67" in board
    assert admin.get(certificate).status_code == 404  # not before close
    closed = admin.post(reverse("innovation:evaluation_close", args=[evaluation.pk]), follow=True)
    assert closed.redirect_chain[-1][0] == staff_urls(evaluation)["results"]
    page = closed.content.decode()
    assert page.index("成果2号") < page.index("成果3号") < page.index("成果1号")
    assert "3 位评委计分，算术平均（3 位）：86.67" in page and "算术平均" in page
    final = admin.get(staff_urls(evaluation)["board"])
    assert final.status_code == 286 and "最终排名" in final.content.decode()

    pdf = admin.get(certificate)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf["Content-Disposition"]
    assert client_for(world.users["district_viewer"]).get(certificate).status_code == 200
    for outsider in (world.users["street_b_admin"], judges[0], world.users["worker_a"]):
        assert client_for(outsider).get(certificate).status_code == 404
    foreign = reverse("innovation:evaluation_certificate", args=[evaluation.pk, 999_999])
    assert admin.get(foreign).status_code == 404


def test_certificate_names_the_team_in_order(world: World, build: Build, judges: list[User]) -> None:
    from gonghui.innovation.certificates import certificate_data

    admin = world.users["district_admin"]
    evaluation = evaluation_start(evaluation=build(entries=1, panel=1), actor=admin)
    score_all(evaluation, judges, {1: [4]})
    evaluation_close(evaluation=evaluation, actor=admin)
    entry = evaluation.entries.get()
    data = certificate_data(evaluation=evaluation, entry=entry)
    assert data.completers == (world.members_a[0].name, "李四")
    assert (data.award, data.host, data.outcome_title) == ("第一名", world.district.name, "成果1号")


def test_an_unranked_entry_has_no_certificate(world: World, build: Build, judges: list[User]) -> None:
    admin = world.users["district_admin"]
    evaluation = evaluation_start(evaluation=build(entries=2, panel=1), actor=admin)
    score_all(evaluation, judges, {1: [4]})
    evaluation_close(evaluation=evaluation, actor=admin)
    nobody_scored = evaluation.entries.get(order=2)
    url = reverse("innovation:evaluation_certificate", args=[evaluation.pk, nobody_scored.pk])
    assert client_for(admin).get(url).status_code == 404


def test_blind_mode_hides_names_on_the_screen(world: World, build: Build, judges: list[User]) -> None:
    evaluation = build(entries=2, blind=True)
    admin = world.users["district_admin"]
    evaluation = evaluation_start(evaluation=evaluation, actor=admin)
    roadshow_set_phase(evaluation=evaluation, actor=admin, entry=evaluation.entries.get(order=1), phase="qa")
    client = client_for(admin)
    for url in (staff_urls(evaluation)["screen"], staff_urls(evaluation)["board"]):
        page = client.get(url).content.decode()
        assert "项目 01" in page
        assert "成果1号" not in page and "成果2号" not in page
        assert world.enterprise_a.name not in page and world.members_a[0].name not in page
    phone = client_for(judges[0]).get(reverse("innovation:judge_score", args=[sheet(evaluation, 1, 1).pk]))
    assert world.enterprise_a.name not in phone.content.decode()


# --- creating through the form ----------------------------------------------------------------


def test_create_form_sets_the_running_order(
    world: World, file_outcome, judges: list[User], rubric: Rubric
) -> None:
    first, second, third = (file_outcome(S.ACCEPTED, title=t) for t in ("甲成果", "乙成果", "丙成果"))
    draft = file_outcome(S.DRAFT, title="草稿成果")
    admin = client_for(world.users["district_admin"])
    page = admin.get(reverse("innovation:evaluation_create")).content.decode()
    assert "甲成果" in page and "草稿成果" not in page and "评委1" in page and "worker_a" not in page
    data = {
        "title": "季度评审",
        "kind": "review",
        "held_on": "2026-06-01",
        "venue": "",
        "org_unit": world.district.pk,
        "rubric": rubric.pk,
        "presentation_minutes": "6",
        "qa_minutes": "2",
        "outcomes": [first.pk, second.pk, third.pk],
        f"order_{third.pk}": "1",
        f"order_{first.pk}": "2",
        "judges": [judges[1].pk, judges[0].pk],
        f"title_{judges[0].pk}": "省级劳模",
        f"title_{judges[1].pk}": "",
    }
    response = admin.post(reverse("innovation:evaluation_create"), data)
    evaluation = Evaluation.objects.get(title="季度评审")
    assert response["Location"] == reverse("innovation:evaluation_detail", args=[evaluation.pk])
    assert list(evaluation.entries.order_by("order").values_list("outcome__title", flat=True)) == [
        "丙成果",
        "甲成果",
        "乙成果",
    ]
    assert (evaluation.presentation_seconds, evaluation.qa_seconds, evaluation.kind) == (360, 120, "review")
    assert dict(evaluation.judges.values_list("user__username", "title")) == {
        "judge1": "省级劳模",
        "judge2": "",
    }
    # An outcome not on offer (a draft) is refused by the form, nothing is created.
    again = admin.post(
        reverse("innovation:evaluation_create"), {**data, "title": "再来", "outcomes": [draft.pk]}
    )
    assert "所选成果不可用" in again.content.decode()
    assert not Evaluation.objects.filter(title="再来").exists()


def test_create_form_shows_service_errors(
    world: World, file_outcome, judges: list[User], rubric: Rubric
) -> None:
    file_outcome(S.ACCEPTED)
    admin = client_for(world.users["district_admin"])
    data = {
        "title": "空评审",
        "kind": "roadshow",
        "held_on": "2026-06-01",
        "org_unit": world.district.pk,
        "rubric": rubric.pk,
        "presentation_minutes": "5",
        "qa_minutes": "3",
        "judges": [judges[0].pk],
    }
    response = admin.post(reverse("innovation:evaluation_create"), data)
    assert response.status_code == 200
    assert 'data-testid="error-outcomes">至少选择一个参评成果' in response.content.decode()
    assert not Evaluation.objects.exists()


def test_default_rubric_is_offered_when_there_is_none(world: World) -> None:
    admin = client_for(world.users["district_admin"])
    page = admin.get(reverse("innovation:evaluation_create")).content.decode()
    assert "创建默认评分细则" in page
    admin.post(
        reverse("innovation:evaluation_create"), {"action": "default_rubric", "org_unit": world.district.pk}
    )
    rubric = Rubric.objects.get()
    assert (rubric.org_unit, rubric.name) == (world.district, DEFAULT_RUBRIC.name)
    assert (
        'data-testid="create-default-rubric"'
        not in admin.get(reverse("innovation:evaluation_create")).content.decode()
    )


# --- exports ---------------------------------------------------------------------------------


def test_list_and_results_export_xlsx(world: World, build: Build, judges: list[User]) -> None:
    admin_user = world.users["district_admin"]
    evaluation = evaluation_start(evaluation=build(entries=2), actor=admin_user)
    score_all(evaluation, judges, {1: [3, 3, 3], 2: [4, 4, 4]})
    evaluation_close(evaluation=evaluation, actor=admin_user)
    admin = client_for(admin_user)
    listing = admin.get(reverse("innovation:evaluation_list"), {"export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(listing.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "名称" and rows[1][0] == "示范区职工创新路演" and rows[1][7] == "已结束"
    results = admin.get(staff_urls(evaluation)["results"], {"export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(results.content)).active.iter_rows(values_only=True))
    assert rows[0] == ("名次", "编号", "成果名称", "所在单位", "最终得分", "计分说明")
    assert rows[1][:3] == (1, "项目 02", "成果2号") and rows[1][4] == "80.00"
    assert "算术平均" in rows[1][5]


# --- query counts ----------------------------------------------------------------------------


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code in (200, 286)
    return len(captured.captured_queries)


def test_list_queries_do_not_grow_with_rows(world: World, build: Build, file_outcome) -> None:
    outcome = file_outcome(S.ACCEPTED)
    client = client_for(world.users["district_admin"])
    url = reverse("innovation:evaluation_list")
    for i in range(3):
        build(outcomes=[outcome], panel=1, title=f"评审{i}")
    small = _queries(client, url)
    for i in range(9):
        build(outcomes=[outcome], panel=1, title=f"评审更多{i}")
    assert _queries(client, url) <= small


def test_board_queries_do_not_grow_with_entries(
    world: World, build: Build, file_outcome, judges: list[User]
) -> None:
    admin = world.users["district_admin"]
    outcomes = [file_outcome(S.ACCEPTED) for _ in range(12)]
    few = evaluation_start(evaluation=build(outcomes=outcomes[:3], panel=6), actor=admin)
    many = evaluation_start(evaluation=build(outcomes=outcomes, panel=6), actor=admin)
    score_all(few, judges, {1: [3] * 6})
    score_all(many, judges, {i: [3] * 6 for i in range(1, 13)})
    client = client_for(admin)
    for page in ("board", "screen", "detail", "results"):
        small = _queries(client, staff_urls(few)[page])
        assert _queries(client, staff_urls(many)[page]) <= small, page
