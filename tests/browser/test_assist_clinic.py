"""技术门诊 as real users: an enterprise contact asks on a phone (a similar solved case shows up
while typing), a craftsman claims and answers on a phone, the enterprise accepts and rates the
answer and closes the question, and the case is found in the knowledge base."""

from __future__ import annotations

import struct
import zlib

import pytest
from playwright.sync_api import Page, expect

from gonghui.accounts.models import User
from gonghui.assist.clinic import clinic_ask
from gonghui.assist.demo_clinic import drive, make_contact, make_expert
from gonghui.assist.models import ClinicQuestion, Craftsman
from gonghui.conftest import World
from tests.browser.pages import PageFactory, has_horizontal_overflow, screenshot, sign_in

pytestmark = pytest.mark.browser
S = ClinicQuestion.Status
TITLE = "离心风机变频器减速停机时报过电压"


def _png(width: int = 64, height: int = 48) -> bytes:
    """A small grey-and-red PNG (a stand-in for a phone photo of the fault)."""
    rows = b"".join(
        b"\x00"
        + b"".join(b"\xc8\x10\x2e" if (x // 8 + y // 8) % 2 else b"\x99\x99\x99" for x in range(width))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def people(live_world: World) -> dict[str, User | Craftsman]:
    contact = make_contact(
        enterprise=live_world.enterprise_a, username="contact_a", display_name="王经理", phone="13900000021"
    )
    expert = make_expert(
        org_unit=live_world.district,
        name="孙丽娟",
        username="expert_sun",
        phone="13900000032",
        honours=["杭州工匠"],
        industry=live_world.enterprise_a.industry,
        trades=["电工", "自动化"],
        skills=["变频器调试", "PLC 编程"],
        equipment=["ABB ACS580", "西门子 S7-1200"],
        bio="擅长变频器参数整定、制动单元选型和通讯故障排查。",
    )
    # A case solved last month: the knowledge base should offer it while the contact types.
    earlier = clinic_ask(
        actor=contact,
        enterprise=live_world.enterprise_a,
        title="变频器过电压跳闸",
        description="风机停机减速时变频器报直流母线过电压。",
        equipment_model="ABB ACS580",
    )
    drive(
        earlier,
        to=S.CLOSED,
        dispatcher=live_world.users["street_a_reviewer"],
        expert=expert,
        answer_text="延长减速时间或启用过压控制功能；大惯量负载需加装制动单元和制动电阻。",
    )
    return {"contact": contact, "expert": expert}


def test_contact_asks_craftsman_answers_and_case_becomes_knowledge(
    live_world: World, people: dict[str, User | Craftsman], open_page: PageFactory, base_url: str
) -> None:
    contact = people["contact"]
    expert = people["expert"]
    assert isinstance(contact, User) and isinstance(expert, Craftsman) and expert.user is not None

    # The enterprise contact asks on a phone.
    phone: Page = open_page("phone")
    sign_in(phone, base_url, contact)
    phone.goto(f"{base_url}/assist/clinic/")
    phone.get_by_test_id("ask").click()
    phone.get_by_label("问题标题").fill(TITLE)
    phone.get_by_label("设备型号").fill("ABB ACS580")
    phone.get_by_label("问题描述").fill("风机 90kW，停机减速时变频器报直流母线过电压，每天两三次。")
    similar = phone.get_by_test_id("similar-cases")
    expect(similar).to_contain_text("变频器过电压跳闸")
    expect(similar).to_contain_text("制动电阻")
    phone.get_by_label("紧急程度").select_option("high")
    phone.get_by_label("照片").set_input_files(
        files=[{"name": "fault.png", "mimeType": "image/png", "buffer": _png()}]
    )
    assert not has_horizontal_overflow(phone)
    screenshot(phone, "assist-clinic-phone-ask")
    phone.get_by_test_id("submit-question").click()
    expect(phone.get_by_test_id("status")).to_have_text("待认领")
    expect(phone.get_by_test_id("photos").locator("img")).to_have_count(1)
    expect(phone.get_by_test_id("suggested-experts")).to_contain_text("孙丽娟")
    assert not has_horizontal_overflow(phone)
    screenshot(phone, "assist-clinic-phone-asked")
    question = ClinicQuestion.objects.get(demand__title=TITLE)
    assert question.demand.urgency == "high" and question.demand.photos.count() == 1

    # The craftsman claims it from the open questions and answers, on a phone.
    craftsman: Page = open_page("phone")
    sign_in(craftsman, base_url, expert.user)
    craftsman.goto(f"{base_url}/assist/clinic/")
    expect(craftsman.get_by_test_id("my-questions")).not_to_contain_text(TITLE)
    assert not has_horizontal_overflow(craftsman)
    screenshot(craftsman, "assist-clinic-phone-expert-list")
    craftsman.get_by_test_id("open-questions").get_by_text(TITLE).click()
    craftsman.get_by_test_id("do-claim").click()
    expect(craftsman.get_by_test_id("status")).to_have_text("已分派")
    craftsman.get_by_label("解答").fill(
        "减速时间由 10 秒延长到 30 秒，并打开过压控制；如仍报警，按 90kW 选配制动单元和 20Ω 制动电阻。"
    )
    craftsman.get_by_test_id("do-answer").click()
    expect(craftsman.get_by_test_id("status")).to_have_text("已解答")
    expect(craftsman.get_by_test_id("answer")).to_contain_text("制动单元")
    assert not has_horizontal_overflow(craftsman)
    screenshot(craftsman, "assist-clinic-phone-answered")

    # The enterprise accepts the answer, rates it and closes the question.
    phone.reload()
    expect(phone.get_by_test_id("answer")).to_contain_text("孙丽娟")
    accept = phone.get_by_test_id("action-accept")
    accept.get_by_test_id("rating-5").click()
    accept.get_by_label("评价").fill("按建议处理后不再跳闸")
    assert not has_horizontal_overflow(phone)
    screenshot(phone, "assist-clinic-phone-accept")
    phone.get_by_test_id("do-accept").click()
    expect(phone.get_by_test_id("status")).to_have_text("已采纳")
    expect(phone.get_by_test_id("accepted")).to_be_visible()
    phone.get_by_test_id("do-close").click()
    expect(phone.get_by_test_id("status")).to_have_text("已关闭")
    expect(phone.get_by_test_id("in-knowledge-base")).to_be_visible()
    question.refresh_from_db()
    assert (question.status, question.rating, question.in_knowledge_base) == (S.CLOSED, 5, True)
    expert.refresh_from_db()
    assert (expert.accepted_answers, expert.rating_count) == (2, 2)

    # Anyone searching the knowledge base finds the case with its accepted answer.
    craftsman.goto(f"{base_url}/assist/clinic/knowledge/")
    search = craftsman.get_by_test_id("knowledge-search")
    search.locator("input[name=q]").fill("风机 过电压 减速")
    search.get_by_role("button", name="搜索").click()
    results = craftsman.get_by_test_id("knowledge-results")
    expect(results).to_contain_text(TITLE)
    expect(results).to_contain_text("20Ω 制动电阻")
    assert not has_horizontal_overflow(craftsman)
    screenshot(craftsman, "assist-clinic-phone-knowledge")


def test_dispatcher_queue_on_the_desk(
    live_world: World, people: dict[str, User | Craftsman], open_page: PageFactory, base_url: str
) -> None:
    contact = people["contact"]
    assert isinstance(contact, User)
    clinic_ask(
        actor=contact,
        enterprise=live_world.enterprise_a,
        title="包装线变频器通讯中断",
        description="S7-1200 通过 Modbus 控制 6 台变频器，每天不定时通讯中断停机。",
        confidential=True,
    )
    desk: Page = open_page("desk")
    sign_in(desk, base_url, live_world.users["street_a_reviewer"])
    desk.goto(f"{base_url}/assist/clinic/")
    expect(desk.get_by_test_id("list-table")).to_contain_text("包装线变频器通讯中断")
    expect(desk.get_by_test_id("list-table")).to_contain_text("涉密")
    desk.get_by_role("link", name="包装线变频器通讯中断").click()
    expect(desk.get_by_test_id("suggested-experts")).to_be_visible()
    expect(desk.get_by_test_id("confidential")).to_be_visible()
    screenshot(desk, "assist-clinic-desk-question")
    desk.get_by_test_id("action-assign").get_by_label("专家").select_option(label="孙丽娟")
    desk.get_by_test_id("do-assign").click()
    expect(desk.get_by_test_id("status")).to_have_text("已分派")
    expect(desk.get_by_test_id("assignments")).to_contain_text("孙丽娟")
    desk.goto(f"{base_url}/assist/clinic/")
    screenshot(desk, "assist-clinic-desk-queue")
