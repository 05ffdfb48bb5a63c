"""Group enrolment (集体参保): the upload service and the enrolment pages.

The 2026 plan's window is 2025-10-15..2025-12-15 (plan_create's default); fees from the
policy: selfpay 36, critical 60, female 20 (女职工 only).
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from gonghui.audit.models import AuditEntry
from gonghui.conftest import PASSWORD, World
from gonghui.core.errors import DomainError
from gonghui.core.tabular import TableError, build_xlsx
from gonghui.core.validators import id_number_check_char
from gonghui.members.models import Member
from gonghui.members.services import member_create, member_leave
from gonghui.mutual_aid import errors
from gonghui.mutual_aid.models import Enrolment, Plan
from gonghui.mutual_aid.plans import ENROLMENT_IMPORT_COLUMNS, enrolments_import, plan_create
from gonghui.mutual_aid.tests.conftest import POLICY
from gonghui.orgs.models import OrgUnit

pytestmark = pytest.mark.django_db
IN_WINDOW = dt.date(2025, 11, 20)
AFTER_WINDOW = dt.date(2026, 2, 1)
HEADER = list(ENROLMENT_IMPORT_COLUMNS)  # 身份证号, 互助项目, 保障开始日期


def make_id(n: int, sex: str) -> str:
    """A valid ID number born 1990-01-01; the 17th digit gives the sex (odd = M)."""
    first17 = f"33010919900101{n:02d}" + ("1" if sex == "M" else "2")
    return first17 + id_number_check_char(first17)


def add_member(world: World, n: int, sex: str, *, unit: OrgUnit | None = None) -> tuple[Member, str]:
    unit = unit or world.unit_a()
    employer = getattr(unit, "enterprise", None) if unit.level == "enterprise" else None
    number = make_id(n, sex)
    member = member_create(
        actor=world.users["district_admin"],
        org_unit=unit,
        name=f"测试{n:02d}",
        id_number=number,
        joined_on=dt.date(2024, 1, 1),
        employer=employer,
    )
    return member, number


def csv_file(*rows: tuple[str, ...], header: list[str] = HEADER) -> bytes:
    lines = [",".join(header), *(",".join(r) for r in rows)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def run(world: World, plan: Plan, data: bytes, *, user: str = "enterprise_a_admin", **kw: Any) -> Any:
    kw.setdefault("today", IN_WINDOW)
    kw.setdefault("filename", "参保名单.csv")
    return enrolments_import(actor=world.users[user], plan=plan, data=data, **kw)


def live(member: Member, year: int = 2026) -> dict[str, Enrolment]:
    """The member's live enrolments of one plan year (other years' rows would collide by item)."""
    return {
        e.item: e for e in Enrolment.objects.filter(member=member, plan__year=year, cancelled_at__isnull=True)
    }


# -- the service ------------------------------------------------------------------------------


def test_import_enrols_with_policy_fees_and_derived_renewal(world: World, plan: Plan) -> None:
    man, man_id = add_member(world, 1, "M")
    woman, woman_id = add_member(world, 2, "F")
    last_year = plan_create(
        actor=None, org_unit=world.district, policy_yaml=POLICY.replace("year: 2026", "year: 2025")
    )
    Enrolment.objects.create(
        plan=last_year,
        member=man,
        item="selfpay",
        start_date=dt.date(2025, 1, 1),
        fee=Decimal("36"),
        org_unit=man.org_unit,
    )
    data = csv_file(
        (man_id, "selfpay、critical", ""),
        (woman_id.lower() if woman_id.endswith("X") else woman_id, "女职工特殊疾病互助;selfpay", "2026/3/1"),
    )
    report = run(world, plan, data)
    assert (report.created, report.unchanged, report.rejected) == (4, 0, [])
    assert report.fees == Decimal("152.00")  # 36 + 60 + 20 + 36
    mine = live(man)
    assert {k: (e.fee, e.renewal) for k, e in mine.items()} == {
        "selfpay": (Decimal("36.00"), True),  # enrolled in selfpay in 2025
        "critical": (Decimal("60.00"), False),  # first-time joiner: waits 90 days
    }
    assert mine["selfpay"].start_date == dt.date(2026, 1, 1)  # default: 1 January of the plan year
    assert (
        mine["selfpay"].org_unit == man.org_unit
        and mine["selfpay"].created_by == world.users["enterprise_a_admin"]
    )
    hers = live(woman)
    assert set(hers) == {"female", "selfpay"} and hers["female"].fee == Decimal("20.00")
    assert {e.start_date for e in hers.values()} == {dt.date(2026, 3, 1)}
    assert [line.row for line in report.lines] == [2, 3]
    assert report.lines[0].created == (
        "住院和规定病种门诊自负医疗费互助（续保）",
        "重大疾病和住院生活补助互助（首次参保）",
    )
    assert report.lines[0].fee == Decimal("96.00") and "*" in report.lines[0].id_number_masked
    entry = AuditEntry.objects.get(action="mutual_aid.enrol_import")
    assert entry.after["enrolments"] == 4 and entry.after["members"] == 2
    assert entry.after["outside_window"] is False and entry.actor == world.users["enterprise_a_admin"]


def test_import_reads_xlsx_with_comma_separated_item_names(world: World, plan: Plan) -> None:
    woman, woman_id = add_member(world, 3, "F")
    content = build_xlsx(
        HEADER, [[woman_id, "住院和规定病种门诊自负医疗费互助,critical，female", "2026-02-01"]]
    )
    report = run(world, plan, content, filename="名单.xlsx")
    assert report.created == 3 and set(live(woman)) == {"selfpay", "critical", "female"}


def test_import_is_all_or_nothing_with_row_and_column_errors(world: World, plan: Plan) -> None:
    _, man_id = add_member(world, 4, "M")
    _, other_id = add_member(world, 5, "F", unit=world.unit_b())  # not in enterprise A's subtree
    left, left_id = add_member(world, 6, "F")
    member_leave(actor=world.users["district_admin"], member=left, on_date=dt.date(2025, 6, 1))
    bad_check = man_id[:17] + ("0" if man_id[17] != "0" else "1")
    data = csv_file(
        (man_id, "selfpay", ""),  # row 2: fine
        (man_id, "female", ""),  # row 3: same person again
        (make_id(7, "M"), "selfpay", ""),  # row 4: not registered
        (other_id, "selfpay", ""),  # row 5: enterprise B
        (bad_check, "selfpay", ""),  # row 6
        (make_id(8, "F")[:10], "selfpay", ""),  # row 7: too short
        (left_id, "selfpay", ""),  # row 8: has left the union
        (make_id(9, "M"), "dental", ""),  # row 9: no such item
        (make_id(10, "M"), "selfpay", "2027-01-01"),  # row 10: other year
        (make_id(11, "M"), "selfpay", "明年"),  # row 11
    )
    with pytest.raises(TableError) as exc:
        run(world, plan, data)
    found = {(e.row, e.column): e.message for e in exc.value.errors}
    assert found == {
        (3, "身份证号"): "与第 2 行重复（同一人的多个项目请写在同一行，用、分隔）",
        (4, "身份证号"): "会员库中没有该身份证号，或不在您管理的范围内",
        (5, "身份证号"): "会员库中没有该身份证号，或不在您管理的范围内",  # same as unknown: no probing
        (6, "身份证号"): "身份证号校验位错误",
        (7, "身份证号"): "身份证号应为18位，前17位为数字，末位为数字或X",
        (8, "身份证号"): "该会员已离会，不能参保",
        (9, "互助项目"): "计划中没有互助项目「dental」",
        (10, "保障开始日期"): "保障开始日期应在计划年度 2026 年内",
        (11, "保障开始日期"): "日期格式应为 YYYY-MM-DD",
    }
    assert [e.row for e in exc.value.errors] == sorted(e.row for e in exc.value.errors)
    assert (
        not Enrolment.objects.exists()
        and not AuditEntry.objects.filter(action="mutual_aid.enrol_import").exists()
    )


def test_female_item_refused_for_a_man_names_row_and_column(world: World, plan: Plan) -> None:
    _, man_id = add_member(world, 12, "M")
    with pytest.raises(TableError) as exc:
        run(world, plan, csv_file((man_id, "selfpay、女职工特殊疾病互助", "")))
    [error] = exc.value.errors
    assert (error.row, error.column, error.message) == (2, "互助项目", "「女职工特殊疾病互助」仅限女职工参加")
    assert str(error) == "第 2 行「互助项目」：「女职工特殊疾病互助」仅限女职工参加"


def test_missing_column_and_empty_items(world: World, plan: Plan) -> None:
    _, man_id = add_member(world, 13, "M")
    with pytest.raises(TableError) as exc:
        run(world, plan, csv_file((man_id,), header=["身份证号"]))
    assert [(e.row, e.column) for e in exc.value.errors] == [(1, "items")]
    with pytest.raises(TableError) as exc:
        run(world, plan, csv_file((man_id, " 、 ", "")))
    assert exc.value.errors[0].column == "互助项目"


def test_member_outside_the_plans_union_is_refused(world: World) -> None:
    street_plan = plan_create(actor=None, org_unit=world.street_b, policy_yaml=POLICY)
    _, man_id = add_member(world, 14, "M")  # enterprise A, street A
    with pytest.raises(TableError) as exc:
        run(world, street_plan, csv_file((man_id, "selfpay", "")), user="district_admin")
    assert exc.value.errors[0].message == f"该会员所在工会不在「{street_plan.name}」的覆盖范围内"


def test_rerun_is_idempotent_and_adds_only_new_items(world: World, plan: Plan) -> None:
    man, man_id = add_member(world, 15, "M")
    data = csv_file((man_id, "selfpay", ""))
    assert run(world, plan, data).created == 1
    again = run(world, plan, data)
    assert (again.created, again.unchanged, again.rejected) == (0, 1, [])
    assert again.lines[0].unchanged == ("住院和规定病种门诊自负医疗费互助",) and again.lines[0].created == ()
    assert AuditEntry.objects.filter(action="mutual_aid.enrol_import").count() == 1  # nothing changed
    more = run(world, plan, csv_file((man_id, "selfpay、critical", "")))
    assert (more.created, more.unchanged) == (1, 1)
    assert Enrolment.objects.filter(member=man).count() == 2


def test_skip_invalid_imports_the_valid_rows(world: World, plan: Plan) -> None:
    man, man_id = add_member(world, 16, "M")
    data = csv_file(
        (make_id(17, "M"), "selfpay", ""), (man_id, "critical", ""), (man_id[:17] + "Z", "selfpay", "")
    )
    report = run(world, plan, data, skip_invalid=True)
    assert report.created == 1 and set(live(man)) == {"critical"}
    assert [(e.row, e.column) for e in report.rejected] == [(2, "身份证号"), (4, "身份证号")]
    assert [r.number for r in report.rejected_rows] == [2, 4]
    assert AuditEntry.objects.get(action="mutual_aid.enrol_import").after["rejected"] == 2


def test_window_closed_unless_actor_administers_the_plans_union(world: World, plan: Plan) -> None:
    _, man_id = add_member(world, 18, "M")
    data = csv_file((man_id, "selfpay", ""))
    for user in ("enterprise_a_admin", "street_a_admin"):
        with pytest.raises(DomainError) as exc:
            run(world, plan, data, user=user, today=AFTER_WINDOW)
        assert exc.value.code == errors.ENROLMENT_WINDOW_CLOSED
        assert "2025-10-15 至 2025-12-15" in exc.value.message
    assert not Enrolment.objects.exists()
    late = run(world, plan, data, user="district_admin", today=AFTER_WINDOW)  # 示范区总工会 runs the plan
    assert late.created == 1 and late.outside_window
    assert AuditEntry.objects.get(action="mutual_aid.enrol_import").after["outside_window"] is True


def test_import_never_decrypts_members(world: World, plan: Plan) -> None:
    _, man_id = add_member(world, 19, "M")
    with mock.patch("gonghui.core.crypto.decrypt", side_effect=AssertionError("decrypted")):
        assert run(world, plan, csv_file((man_id, "selfpay", ""))).created == 1


def test_queries_do_not_grow_with_rows(world: World, plan: Plan) -> None:
    def count(n0: int, n: int) -> int:
        numbers = [add_member(world, i, "M")[1] for i in range(n0, n0 + n)]
        with CaptureQueriesContext(connection) as ctx:
            run(world, plan, csv_file(*((x, "selfpay、critical", "") for x in numbers)))
        return len(ctx.captured_queries)

    small = count(20, 2)
    assert count(30, 12) <= small


# -- the pages -------------------------------------------------------------------------------


def login(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def test_enrolment_list_with_summary_filters_and_export(
    world: World, plan: Plan, enrolled: list[Member]
) -> None:
    client = login("district_admin")
    response = client.get("/mutual-aid/enrolments/")
    body = response.content.decode()
    assert response.status_code == 200
    assert all(m.name in body for m in enrolled) and "住院和规定病种门诊自负医疗费互助" in body
    summary = response.context["summary"]
    by_name = {r["name"]: r for r in summary["rows"]}
    fees_a = 36 * Enrolment.objects.filter(member__employer=world.enterprise_a).count()
    assert (
        by_name[world.enterprise_a.name]["members"] == 3
        and by_name[world.enterprise_a.name]["fees"] == fees_a
    )
    assert by_name[world.enterprise_b.name]["members"] == 1
    assert summary["members"] == 4 and summary["enrolments"] == Enrolment.objects.count()
    assert 'data-testid="enrolment-summary"' in body
    # Filters narrow both the table and the summary.
    female = client.get("/mutual-aid/enrolments/", {"item": "female"})
    assert female.context["summary"]["enrolments"] == Enrolment.objects.filter(item="female").count()
    first = Enrolment.objects.filter(member=enrolled[0], item="critical")
    first.update(renewal=False)
    joiners = client.get("/mutual-aid/enrolments/", {"renewal": "0"})
    assert [row["obj"].pk for row in joiners.context["rows"]] == [first.get().pk]
    b_only = client.get("/mutual-aid/enrolments/", {"enterprise": world.enterprise_b.pk})
    assert [r["name"] for r in b_only.context["summary"]["rows"]] == [world.enterprise_b.name]
    street = client.get("/mutual-aid/enrolments/", {"unit": world.street_b.pk}, HTTP_HX_REQUEST="true")
    fragment = street.content.decode()
    assert "<html" not in fragment and 'hx-swap-oob="true"' in fragment
    assert world.members_b[0].name in fragment and world.members_a[1].name not in fragment
    export = client.get("/mutual-aid/enrolments/", {"item": "selfpay", "export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("年度", "姓名", "身份证号") and len(rows) == 1 + len(enrolled)
    assert all("*" in r[2] for r in rows[1:]) and {r[5] for r in rows[1:]} == {
        "住院和规定病种门诊自负医疗费互助"
    }


def test_enrolment_list_queries_do_not_grow(world: World, plan: Plan, enrolled: list[Member]) -> None:
    client = login("district_admin")
    with CaptureQueriesContext(connection) as small:
        assert client.get("/mutual-aid/enrolments/").status_code == 200
    for i in range(40, 52):
        member, _ = add_member(world, i, "F" if i % 2 else "M", unit=world.unit_b())
        Enrolment.objects.create(
            plan=plan,
            member=member,
            item="selfpay",
            start_date=dt.date(2026, 1, 1),
            fee=36,
            org_unit=member.org_unit,
        )
    with CaptureQueriesContext(connection) as large:
        assert client.get("/mutual-aid/enrolments/").status_code == 200
    assert len(large) <= len(small), [q["sql"] for q in large.captured_queries]


def test_street_admin_sees_only_their_subtree(world: World, plan: Plan, enrolled: list[Member]) -> None:
    client = login("street_a_admin")
    response = client.get("/mutual-aid/enrolments/")
    body = response.content.decode()
    assert all(m.name in body for m in world.members_a)
    assert world.members_b[0].name not in body and world.enterprise_b.name not in body
    assert [r["name"] for r in response.context["summary"]["rows"]] == [world.enterprise_a.name]
    # Asking for the other street's enterprise shows nothing (not an error, not a leak).
    other = client.get("/mutual-aid/enrolments/", {"enterprise": world.enterprise_b.pk, "export": "xlsx"})
    names = {
        r[1] for r in list(load_workbook(io.BytesIO(other.content)).active.iter_rows(values_only=True))[1:]
    }
    assert world.members_b[0].name not in names
    assert login("worker_a").get("/mutual-aid/enrolments/").status_code == 404


def test_import_page_template_and_result(world: World, plan: Plan) -> None:
    plan.enrol_opens, plan.enrol_closes = dt.date(2000, 1, 1), dt.date(2100, 1, 1)
    plan.save(update_fields=["enrol_opens", "enrol_closes"])
    client = login("street_a_admin")
    page = client.get("/mutual-aid/enrolments/import/")
    assert page.status_code == 200 and "女职工特殊疾病互助" in page.content.decode()
    template = client.get("/mutual-aid/enrolments/import/template.xlsx")
    header, example = list(load_workbook(io.BytesIO(template.content)).active.iter_rows(values_only=True))
    assert list(header) == HEADER and "女职工" not in example[1]
    woman, woman_id = add_member(world, 60, "F")
    _, man_id = add_member(world, 61, "M")
    data = csv_file((woman_id, "selfpay、female", ""), (man_id, "female", ""))
    upload = SimpleUploadedFile("名单.csv", data, content_type="text/csv")
    failed = client.post("/mutual-aid/enrolments/import/", {"plan": plan.pk, "file": upload})
    body = failed.content.decode()
    assert (
        'data-testid="import-errors"' in body and "仅限女职工参加" in body and not Enrolment.objects.exists()
    )
    upload = SimpleUploadedFile("名单.csv", data, content_type="text/csv")
    done = client.post(
        "/mutual-aid/enrolments/import/", {"plan": plan.pk, "file": upload, "skip_invalid": "on"}
    )
    body = done.content.decode()
    assert 'data-testid="import-result"' in body and body.count('data-testid="created-row"') == 1
    assert body.count('data-testid="rejected-row"') == 1 and woman.name in body
    assert set(live(woman)) == {"selfpay", "female"}
    upload = SimpleUploadedFile("名单.txt", data, content_type="text/plain")
    wrong = client.post("/mutual-aid/enrolments/import/", {"plan": plan.pk, "file": upload})
    assert "仅支持 .xlsx 或 .csv 文件" in wrong.content.decode()


def test_import_page_shows_window_refusal_and_hides_from_viewers(world: World, plan: Plan) -> None:
    client = login("enterprise_a_admin")  # today is outside the 2026 plan's window
    _, man_id = add_member(world, 62, "M")
    upload = SimpleUploadedFile("名单.csv", csv_file((man_id, "selfpay", "")), content_type="text/csv")
    response = client.post("/mutual-aid/enrolments/import/", {"plan": plan.pk, "file": upload})
    assert "不在参保窗口内" in response.content.decode() and not Enrolment.objects.exists()
    assert login("district_viewer").get("/mutual-aid/enrolments/import/").status_code == 404
    # A plan the user cannot enrol into is not a valid choice.
    other = plan_create(actor=None, org_unit=world.street_b, policy_yaml=POLICY)
    upload = SimpleUploadedFile("名单.csv", csv_file((man_id, "selfpay", "")), content_type="text/csv")
    response = client.post("/mutual-aid/enrolments/import/", {"plan": other.pk, "file": upload})
    assert response.context["form"].errors["plan"] and not Enrolment.objects.exists()


def test_dashboard_links_to_enrolment_pages(world: World, plan: Plan) -> None:
    body = login("district_admin").get("/mutual-aid/").content.decode()
    assert 'href="/mutual-aid/enrolments/"' in body and 'href="/mutual-aid/enrolments/import/"' in body
    viewer = login("district_viewer").get("/mutual-aid/").content.decode()
    assert 'href="/mutual-aid/enrolments/"' in viewer and "/mutual-aid/enrolments/import/" not in viewer
