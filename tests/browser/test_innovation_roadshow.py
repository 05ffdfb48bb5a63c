"""职工创新路演 end to end, as real users in the browser: the district admin sets up a roadshow
(with the default rubric), opens the projector screen at 1920×1080 and runs the session from
the console; three judges sign in on their phones and score; one declares a conflict of
interest; the screen shows the scores arriving without reloading; the admin closes and prints
a certificate from the results.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from gonghui.accounts.models import User
from gonghui.conftest import PASSWORD, World
from gonghui.innovation.engine import DEFAULT_RUBRIC
from gonghui.innovation.factories import advance, make_judge
from gonghui.innovation.models import Entry, Evaluation, Outcome
from gonghui.innovation.outcomes import TeamMemberInput, outcome_create
from tests.browser.pages import (
    PageFactory,
    has_horizontal_overflow,
    screenshot,
    sign_in,
    submit_password_login,
)

pytestmark = pytest.mark.browser

SCREEN = {"viewport": {"width": 1920, "height": 1080}}
TITLES = (
    "数控车床刀具快速更换装置",
    "变电站巡检机器人路径优化",
    "焊接烟尘移动收集小车",
    "装配线防错料工装",  # filed too, but left out of this roadshow
)
JUDGES = (
    ("judge_wang", "王振华", "大国工匠"),
    ("judge_li", "李秀英", "全国劳模"),
    ("judge_zhao", "赵国强", "省首席技师"),
)


@pytest.fixture(autouse=True)
def _one_request_at_a_time(live_server: LiveServer) -> Iterator[None]:
    """With SQLite's in-memory test database every live-server thread shares one connection, so
    a screen poll still reading ``innovation_assignment`` makes a judge's concurrent score update
    fail with "database table is locked". Deployments (SQLite file in WAL mode, PostgreSQL) give
    each thread its own connection; here the requests are served one at a time instead."""
    if not (connection.vendor == "sqlite" and connection.is_in_memory_db()):
        yield
        return
    httpd = live_server.thread.httpd
    app = httpd.get_app()
    lock = threading.Lock()

    def serial(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with lock:
            response = app(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                getattr(response, "close", lambda: None)()

    httpd.set_app(serial)
    yield
    httpd.set_app(app)


@dataclass
class Roadshow:
    world: World
    judges: list[User]
    outcomes: list[Outcome]


@pytest.fixture
def roadshow(live_world: World) -> Roadshow:
    """Four implemented outcomes filed by worker A and three judges with passwords."""
    worker, admin = live_world.users["worker_a"], live_world.users["district_admin"]
    outcomes = []
    for title in TITLES:
        outcome = outcome_create(
            actor=worker,
            org_unit=live_world.unit_a(),
            type=Outcome.Type.FIVE_SMALL,
            subtype="小革新",
            title=title,
            situation="原工艺停机时间长，影响产能",
            measures="设计专用工装，一次定位",
            effect="单次作业时间缩短 80%",
            team=[
                TeamMemberInput(
                    name=live_world.members_a[0].name, share=Decimal(60), member_id=live_world.members_a[0].pk
                ),
                TeamMemberInput(name="李四", share=Decimal(40)),
            ],
        )
        outcomes.append(advance(outcome, proposer=worker, staff=admin, to=Outcome.Status.IMPLEMENTED))
    judges = [
        make_judge(username, unit=live_world.district, display_name=name, password=PASSWORD)
        for username, name, _title in JUDGES
    ]
    return Roadshow(live_world, judges, outcomes)


def _create_roadshow(page: Page, base_url: str) -> int:
    page.goto(f"{base_url}/innovation/evaluations/")
    page.get_by_test_id("evaluation-new").click()
    page.get_by_test_id("create-default-rubric").click()
    expect(page.get_by_text("已创建默认评分细则")).to_be_visible()
    page.locator("#id_title").fill("2026 年示范区职工技术创新成果路演")
    page.locator("#id_held_on").fill("2026-05-20")
    page.locator("#id_venue").fill("区职工服务中心报告厅")
    for order, title in enumerate(TITLES[:3], start=1):
        page.get_by_label(f"选择 {title}").check()
        page.get_by_label(f"{title} 出场顺序").fill(str(order))
    for _username, name, title in JUDGES:
        page.get_by_label(name, exact=True).check()
        page.get_by_label(f"{name} 称号").fill(title)
    page.get_by_test_id("evaluation-submit").click()
    expect(page).to_have_url(re.compile(r"/innovation/evaluations/\d+/$"))
    expect(page.get_by_test_id("evaluation-status")).to_have_text("筹备中")
    return int(page.url.rstrip("/").rsplit("/", 1)[1])


def _judge_phone(open_page: PageFactory, base_url: str, username: str, name: str) -> Page:
    phone = open_page("phone")
    submit_password_login(phone, base_url, username)
    expect(phone.get_by_test_id("current-user")).to_have_text(name)
    phone.goto(f"{base_url}/innovation/judge/")
    return phone


def _score(phone: Page, order: int, levels: tuple[int, ...], *, shot: str = "") -> None:
    """From the judge's sheet, open the entry and tap one level per criterion."""
    phone.get_by_test_id(f"sheet-row-{order}").click()
    expect(phone.get_by_test_id("entry-code")).to_have_text(f"项目 {order:02d}")
    for criterion, level in zip(DEFAULT_RUBRIC.criteria, levels, strict=True):
        phone.get_by_test_id(f"score-{criterion.code}-{level}").click()
    total = sum(
        Decimal(level) * c.weight / 5 for c, level in zip(DEFAULT_RUBRIC.criteria, levels, strict=True)
    )
    expect(phone.get_by_test_id("live-total")).to_have_text(f"{total:.2f}")
    if shot:
        assert not has_horizontal_overflow(phone)
        screenshot(phone, shot)
    phone.get_by_test_id("score-submit").click()
    expect(phone.get_by_text(f"项目 {order:02d} 已提交：{total:.2f} 分")).to_be_visible()
    expect(phone.get_by_test_id(f"sheet-status-{order}")).to_contain_text("已评")


def test_roadshow_scored_from_phones_appears_live_on_the_screen(
    roadshow: Roadshow, base_url: str, open_page: PageFactory, browser: Browser
) -> None:
    world = roadshow.world
    admin_user = world.users["district_admin"]

    # 1. The district admin sets the roadshow up: default rubric, three entries, three judges.
    console = open_page("desk")
    sign_in(console, base_url, admin_user)
    evaluation_id = _create_roadshow(console, base_url)
    assert list(
        Entry.objects.filter(evaluation_id=evaluation_id)
        .order_by("order")
        .values_list("outcome__title", flat=True)
    ) == list(TITLES[:3])

    # 2. The projector: its own browser at 1920×1080, signed in as the admin.
    projector = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **SCREEN)  # type: ignore[arg-type]
    try:
        screen = projector.new_page()
        sign_in(screen, base_url, admin_user)
        screen.clock.install()
        screen.goto(f"{base_url}/innovation/evaluations/{evaluation_id}/screen/")
        expect(screen.get_by_test_id("phase")).to_have_text("路演即将开始")
        screen.evaluate("window.__sameScreen = 'never reloaded'")

        # 3. Start, and the first entry presents: the screen follows within a poll.
        console.get_by_test_id("evaluation-start").click()
        expect(console.get_by_test_id("evaluation-status")).to_have_text("进行中")
        console.get_by_test_id("phase-1-presenting").click()
        expect(screen.get_by_test_id("current-code")).to_have_text("项目 01")
        expect(screen.get_by_test_id("current-title")).to_have_text(TITLES[0])
        expect(screen.get_by_test_id("phase")).to_contain_text("项目陈述")
        timer = screen.get_by_test_id("timer")
        expect(timer).to_have_attribute("data-state", "running")
        expect(timer).to_contain_text(re.compile(r"0[45]:[0-5]\d"))
        expect(screen.get_by_test_id("count-1")).to_have_text("0/3")

        # 4. Three judges on their phones score entry 1; the counter climbs to 3/3.
        phones = [_judge_phone(open_page, base_url, u, n) for u, n, _t in JUDGES]
        for phone in phones:
            phone.get_by_role("link", name=re.compile("2026 年示范区职工技术创新成果路演")).click()
            expect(phone.get_by_test_id("current-marker")).to_contain_text("项目陈述")
        sheets = {1: (4, 4, 4, 4, 4, 4), 2: (5, 5, 5, 5, 5, 5), 3: (3, 3, 3, 3, 3, 3)}
        for seat, phone in enumerate(phones, start=1):
            _score(phone, 1, sheets[seat], shot="innovation-judge-score-phone" if seat == 2 else "")
            expect(screen.get_by_test_id("count-1")).to_have_text(f"{seat}/3")
        expect(screen.get_by_test_id("average-1")).to_have_text("80.00")  # (80 + 100 + 60) / 3

        # 5. Time runs out on the projector's clock: the timer turns red.
        screen.clock.fast_forward("05:05")
        expect(timer).to_have_attribute("data-state", "up")
        expect(timer).to_have_class(re.compile(r"\btime-up\b"))
        expect(timer).to_contain_text("时间到")
        expect(timer.locator(".digits")).to_have_css("color", "rgb(255, 77, 79)")

        # 6. Entry 2 in Q&A; everybody scores it. Entry 3: judge 3 declares a conflict.
        console.get_by_test_id("phase-2-qa").click()
        expect(screen.get_by_test_id("current-code")).to_have_text("项目 02")
        expect(screen.get_by_test_id("phase")).to_contain_text("答辩提问")
        for phone, levels in zip(
            phones, ((5, 5, 5, 5, 5, 5), (5, 4, 5, 5, 5, 5), (4, 4, 4, 4, 4, 4)), strict=True
        ):
            _score(phone, 2, levels)
        expect(screen.get_by_test_id("count-2")).to_have_text("3/3")
        console.get_by_test_id("phase-3-scoring").click()
        expect(screen.get_by_test_id("phase")).to_contain_text("评委打分")
        conflicted = phones[2]
        conflicted.get_by_test_id("sheet-row-3").click()
        conflicted.get_by_test_id("conflict").locator("summary").click()
        conflicted.get_by_label("回避理由").fill("该项目第一完成人是我带过的徒弟")
        conflicted.get_by_test_id("conflict-submit").click()
        expect(conflicted.get_by_text("已申报回避 项目 03")).to_be_visible()
        expect(conflicted.get_by_test_id("sheet-status-3")).to_contain_text("回避")
        assert not has_horizontal_overflow(conflicted)
        screenshot(conflicted, "innovation-judge-sheet-phone")
        expect(screen.get_by_test_id("count-3")).to_have_text("0/2")
        for phone, levels in zip(phones[:2], ((3, 3, 3, 3, 3, 3), (4, 3, 4, 3, 4, 3)), strict=True):
            _score(phone, 3, levels)
        expect(screen.get_by_test_id("count-3")).to_have_text("2/2")
        expect(screen.get_by_test_id("current-count")).to_have_text("2/2")
        expect(console.get_by_test_id("progress-3")).to_contain_text("已评 2/2，回避 1")
        screenshot(screen, "innovation-roadshow-screen")
        screenshot(console, "innovation-roadshow-console")

        # 7. The admin closes: the console lands on the ranked results, the screen shows them.
        console.once("dialog", lambda dialog: dialog.accept())
        console.get_by_test_id("evaluation-close").click()
        expect(console).to_have_url(f"{base_url}/innovation/evaluations/{evaluation_id}/results/")
        ranks = console.get_by_test_id("result-rank")
        expect(ranks).to_have_text(["1", "2", "3"])
        titles = console.get_by_test_id("result-title")
        expect(titles).to_have_text([TITLES[1], TITLES[0], TITLES[2]])
        expect(console.get_by_test_id("results-method")).to_contain_text("z 分数")
        expect(console.get_by_text("评委 3号 回避")).to_be_visible()
        screenshot(console, "innovation-roadshow-results")
        expect(screen.get_by_test_id("screen-ranking")).to_be_visible()
        expect(screen.get_by_test_id("rank-row").first).to_contain_text(TITLES[1])
        assert screen.evaluate("window.__sameScreen") == "never reloaded"
        screenshot(screen, "innovation-roadshow-screen-final")
    finally:
        projector.close()

    evaluation = Evaluation.objects.get(pk=evaluation_id)
    assert evaluation.status == Evaluation.Status.CLOSED and evaluation.method.startswith("z_score+")
    first = Entry.objects.get(evaluation=evaluation, rank=1)
    assert first.outcome.title == TITLES[1]

    # 8. The certificate of the winner is a PDF.
    href = console.get_by_test_id("certificate-2").get_attribute("href")
    pdf = console.request.get(f"{base_url}{href}")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    assert evaluation.held_on == dt.date(2026, 5, 20)


def test_screen_fits_fifteen_blind_entries_and_six_judges(
    live_world: World, base_url: str, browser: Browser
) -> None:
    """The spec's roadshow size — 15 entrants, a panel of 6 — in blind mode on a 1080p screen:
    everything visible without scrolling, only entry codes, never titles or enterprises."""
    from gonghui.innovation.evaluations import (
        evaluation_create,
        evaluation_start,
        judge_declare_conflict,
        roadshow_set_phase,
        rubric_create,
        score_submit,
    )
    from gonghui.innovation.models import Assignment

    admin, worker = live_world.users["district_admin"], live_world.users["worker_a"]
    outcomes = [
        advance(
            outcome_create(
                actor=worker,
                org_unit=live_world.unit_a(),
                type=Outcome.Type.RATIONALISATION,
                title=f"关于优化第 {i} 号生产线换型流程的合理化建议",
                team=[TeamMemberInput(name="李四", share=Decimal(100))],
            ),
            proposer=worker,
            staff=admin,
            to=Outcome.Status.ACCEPTED,
        )
        for i in range(1, 16)
    ]
    judges = [make_judge(f"j{i}", unit=live_world.district, display_name=f"评委{i}") for i in range(1, 7)]
    evaluation = evaluation_create(
        actor=admin,
        org_unit=live_world.district,
        title="2026 年第二季度合理化建议匿名评审",
        rubric=rubric_create(actor=admin, org_unit=live_world.district, name="默认"),
        held_on=dt.date(2026, 6, 30),
        outcomes=outcomes,
        judges=[(j, "大国工匠") for j in judges],
        blind=True,
    )
    evaluation = evaluation_start(evaluation=evaluation, actor=admin)
    sheets = Assignment.objects.filter(entry__evaluation=evaluation).select_related("judge", "entry")
    for a in sheets:
        if a.entry.order <= 6 and not (a.entry.order == 4 and a.judge.seat == 6):
            score_submit(
                assignment=a,
                actor=a.judge.user,
                scores=dict.fromkeys(DEFAULT_RUBRIC.codes, 3 + a.judge.seat % 3),
            )
    judge_declare_conflict(
        assignment=sheets.get(entry__order=4, judge__seat=6), actor=judges[5], reason="同一车间"
    )
    roadshow_set_phase(
        evaluation=evaluation, actor=admin, entry=evaluation.entries.get(order=7), phase="presenting"
    )

    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **SCREEN)  # type: ignore[arg-type]
    try:
        screen = context.new_page()
        sign_in(screen, base_url, admin)
        screen.goto(f"{base_url}/innovation/evaluations/{evaluation.pk}/screen/")
        expect(screen.get_by_test_id("current-code")).to_have_text("项目 07")
        expect(screen.get_by_test_id("count-4")).to_have_text("5/5")
        expect(screen.get_by_test_id("count-6")).to_have_text("6/6")
        expect(screen.get_by_test_id("count-15")).to_be_in_viewport()
        body = screen.locator("body").inner_text()
        assert "合理化建议" not in body.replace(evaluation.title, "")
        assert live_world.enterprise_a.name not in body and "李四" not in body
        assert screen.evaluate("document.documentElement.scrollHeight <= window.innerHeight")
        assert not has_horizontal_overflow(screen)
        screenshot(screen, "innovation-roadshow-screen-blind-15")
    finally:
        context.close()
