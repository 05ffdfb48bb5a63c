"""劳模工匠助企行 as real users: an enterprise contact on a phone posts a technical problem with a
photo and at once sees the ranked craftsmen and outcomes with their scores and reasons; a
street dispatcher opens the demand on the desk and dispatches the first craftsman."""

from __future__ import annotations

import re
import struct
import zlib

import pytest
from playwright.sync_api import Page, expect

from gonghui.accounts.models import Role
from gonghui.assist.models import Demand, Dispatch
from gonghui.assist.tests.test_libraries import load_eval_library
from gonghui.conftest import World, make_user
from tests.browser.pages import PageFactory, has_horizontal_overflow, screenshot, sign_in

pytestmark = pytest.mark.browser


def nameplate_png(width: int = 96, height: int = 64) -> bytes:
    """A real (decodable) PNG: a grey plate with a darker band, as a phone photo stands in."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(
        b"\x00" + bytes((90 if 24 <= y < 40 else 200) for _ in range(width) for _ in range(3))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def library(live_world: World) -> World:
    """The evaluation set's craftsmen and outcomes in the district's library (committed)."""
    load_eval_library(live_world)
    return live_world


def test_contact_posts_demand_on_phone_and_sees_ranked_matches(
    library: World, open_page: PageFactory, base_url: str, tmp_path
) -> None:
    contact = make_user("contact_a", role=Role.ENTERPRISE_CONTACT, unit=library.enterprise_a.union)
    photo = tmp_path / "nameplate.png"
    photo.write_bytes(nameplate_png())

    phone: Page = open_page("phone")
    sign_in(phone, base_url, contact)
    phone.goto(f"{base_url}/assist/")
    phone.get_by_test_id("new-demand").click()
    expect(phone.get_by_test_id("demand-enterprise")).to_have_text(library.enterprise_a.name)
    phone.get_by_label("问题标题").fill("注塑模具分型面有披锋")
    phone.get_by_label("问题描述").fill("注塑模具开了没多久，产品分型面上就有披锋，修模修了好几次还是有。")
    phone.get_by_label("设备型号").fill("海天 MA1600")
    phone.get_by_label("需求类别").select_option("onsite")
    phone.get_by_label("紧急程度").select_option("high")
    phone.get_by_label("照片").set_input_files(str(photo))
    assert not has_horizontal_overflow(phone)
    screenshot(phone, "assist-phone-demand-form")
    phone.get_by_test_id("submit-demand").click()

    expect(phone.get_by_test_id("demand-status")).to_have_text("待对接")
    craftsmen = phone.get_by_test_id("craftsman-match")
    expect(craftsmen.first).to_be_visible()
    assert craftsmen.count() == 10
    # The mould specialist comes first, with the score and the reasons that explain it.
    expect(craftsmen.first.get_by_test_id("match-name")).to_have_text("沈国良")
    expect(craftsmen.first.get_by_test_id("match-reasons")).to_contain_text("匹配词：注塑模")
    expect(craftsmen.first.get_by_test_id("match-score")).to_have_text(re.compile(r"^\d+\.\d{4}$"))
    outcomes = phone.get_by_test_id("outcome-match")
    expect(outcomes.first).to_be_visible()
    expect(outcomes.first.get_by_test_id("match-reasons")).to_contain_text("成果类型")
    expect(phone.get_by_test_id("demand-photos").locator("img")).to_have_count(1)
    assert phone.get_by_test_id("demand-photos").locator("img").evaluate("img => img.naturalWidth") == 96
    assert phone.get_by_text("派单", exact=True).count() == 0  # the contact does not dispatch
    assert not has_horizontal_overflow(phone)
    screenshot(phone, "assist-phone-demand-matches")
    demand = Demand.objects.get()
    assert demand.created_by == contact and demand.photos.count() == 1

    desk = open_page("desk")
    sign_in(desk, base_url, library.users["street_a_reviewer"])
    desk.goto(f"{base_url}/assist/demands/")
    desk.get_by_role("link", name="注塑模具分型面有披锋").click()
    first = desk.get_by_test_id("craftsman-match").first
    first.get_by_role("button", name="派单").click()
    expect(desk.get_by_test_id("demand-status")).to_have_text("已派单")
    expect(desk.get_by_test_id("dispatch-list")).to_contain_text("沈国良")
    screenshot(desk, "assist-desk-demand-dispatched")
    dispatch = Dispatch.objects.get()
    assert dispatch.shown_rank == 1 and dispatch.craftsman.name == "沈国良"
    booked = dispatch.craftsman.open_requests
    assert booked >= 1  # the dispatch booked one of his places

    # Staff start the service; the enterprise confirms on the phone that it is solved.
    desk.get_by_test_id("do-start-service").click()
    expect(desk.get_by_test_id("demand-status")).to_have_text("服务中")
    phone.goto(f"{base_url}{demand.get_absolute_url()}")
    phone.get_by_test_id("action-solve").get_by_role("textbox").fill("调整锁模力后披锋消除")
    phone.get_by_test_id("do-solve").click()
    expect(phone.get_by_test_id("demand-status")).to_have_text("已解决")
    expect(phone.get_by_test_id("resolution-note")).to_contain_text("披锋消除")
    assert not has_horizontal_overflow(phone)
    screenshot(phone, "assist-phone-demand-solved")
    dispatch.craftsman.refresh_from_db()
    assert dispatch.craftsman.open_requests == booked - 1  # his place is free again

    hub = open_page("desk")
    sign_in(hub, base_url, library.users["district_admin"])
    hub.goto(f"{base_url}/assist/")
    expect(hub.get_by_test_id("hub-clinic")).to_have_attribute("href", "/assist/clinic/")
    expect(hub.get_by_test_id("assist-figures")).to_contain_text("160")
    hub.get_by_test_id("hub-craftsmen").click()
    hub.get_by_label("姓名").fill("沈国良")
    hub.get_by_label("姓名").press("Enter")
    hub.get_by_role("link", name="沈国良").click()
    expect(hub.get_by_test_id("dispatches")).to_contain_text("注塑模具分型面有披锋")
    screenshot(hub, "assist-desk-craftsman-detail")
