"""Member register services: validation, all-or-nothing imports, history, audited reveal."""

from __future__ import annotations

import datetime as dt
import io
import random

import pytest
from django.db import connection
from openpyxl import Workbook

from gonghui.audit.models import AuditEntry
from gonghui.conftest import World
from gonghui.core.crypto import blind_index
from gonghui.core.errors import DomainError, PermissionDenied
from gonghui.core.factories import make_id_number
from gonghui.core.tabular import TableError
from gonghui.members.models import Member, MembershipEvent
from gonghui.members.services import (
    MEMBER_IMPORT_COLUMNS,
    member_create,
    member_leave,
    member_reveal,
    member_transfer,
    members_import,
)

HEADERS = list(MEMBER_IMPORT_COLUMNS)


def xlsx(rows: list[list[str]], headers: list[str] = HEADERS) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def row(world: World, rng: random.Random, **over: str) -> list[str]:
    values = {
        "姓名": "王小明",
        "身份证号": make_id_number(rng),
        "手机号": "13912345678",
        "会员类型": "正式职工",
        "工作单位统一社会信用代码": world.enterprise_a.uscc,
        "所在工会行政区划代码": "",
        "入会日期": "2024-03-01",
    }
    values.update(over)
    return [values[h] for h in HEADERS]


def test_create_encrypts_pii_at_rest_and_derives_sex(world: World) -> None:
    rng = random.Random(3)
    number = make_id_number(rng, sex="F")
    member = member_create(
        actor=world.users["street_a_admin"],
        org_unit=world.unit_a(),
        name="李华",
        id_number=number,
        phone="13811112222",
        joined_on=dt.date(2024, 1, 2),
        employer=world.enterprise_a,
    )
    assert member.sex == "F"
    assert member.id_number_masked == number[:6] + "********" + number[-4:]
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM members_member WHERE id = %s", [member.pk])
        stored_id, stored_phone = cursor.fetchone()
    assert number not in stored_id and "13811112222" not in stored_phone
    assert Member.objects.get(pk=member.pk).id_number == number
    assert AuditEntry.objects.filter(action="member.create", target_id=str(member.pk)).exists()
    assert MembershipEvent.objects.filter(member=member, kind="join").count() == 1


def test_create_outside_subtree_is_refused(world: World) -> None:
    with pytest.raises(PermissionDenied):
        member_create(
            actor=world.users["street_a_admin"],
            org_unit=world.unit_b(),
            name="张三",
            id_number=make_id_number(random.Random(1)),
            joined_on=dt.date(2024, 1, 1),
        )


def test_duplicate_id_number_is_refused(world: World) -> None:
    existing = Member.objects.get(pk=world.members_a[1].pk)
    with pytest.raises(DomainError) as exc:
        member_create(
            actor=world.users["district_admin"],
            org_unit=world.unit_b(),
            name="重复",
            id_number=existing.id_number,
            joined_on=dt.date(2024, 1, 1),
        )
    assert exc.value.field == "id_number"


def test_import_all_or_nothing_reports_row_and_column(world: World) -> None:
    rng = random.Random(11)
    before = Member.objects.count()
    good = row(world, rng)
    bad_id = row(world, rng, 身份证号="110105194912310021")
    future = row(world, rng, 入会日期="2999-01-01")
    outside = row(world, rng, 工作单位统一社会信用代码=world.enterprise_b.uscc)
    with pytest.raises(TableError) as exc:
        members_import(
            actor=world.users["street_a_admin"], data=xlsx([good, bad_id, future, outside]), filename="m.xlsx"
        )
    errors = {(e.row, e.column) for e in exc.value.errors}
    assert errors == {(3, "身份证号"), (4, "入会日期"), (5, "工作单位统一社会信用代码")}
    assert Member.objects.count() == before


def test_import_skip_invalid_imports_valid_rows_once(world: World) -> None:
    rng = random.Random(12)
    rows = [row(world, rng), row(world, rng, 身份证号="bad"), row(world, rng)]
    data = xlsx(rows)
    actor = world.users["street_a_admin"]
    report = members_import(actor=actor, data=data, filename="m.xlsx", skip_invalid=True)
    assert (report.created, report.unchanged, len(report.rejected)) == (2, 0, 1)
    assert report.rejected[0].row == 3
    again = members_import(actor=actor, data=data, filename="m.xlsx", skip_invalid=True)
    assert (again.created, again.unchanged) == (0, 2)  # rerun: no duplicates
    created = Member.objects.filter(id_number_index=blind_index(rows[0][1])).get()
    assert created.events.filter(kind="join").count() == 1


def test_import_duplicate_within_file(world: World) -> None:
    rng = random.Random(13)
    first = row(world, rng)
    dup = row(world, rng, 身份证号=first[1])
    with pytest.raises(TableError) as exc:
        members_import(actor=world.users["district_admin"], data=xlsx([first, dup]), filename="m.xlsx")
    assert [(e.row, e.column) for e in exc.value.errors] == [(3, "身份证号")]
    assert "第 2 行" in exc.value.errors[0].message


def test_import_gb18030_csv_and_missing_columns(world: World) -> None:
    rng = random.Random(14)
    text = ",".join(HEADERS) + "\n" + ",".join(row(world, rng)) + "\n"
    report = members_import(
        actor=world.users["district_admin"], data=text.encode("gb18030"), filename="名单.csv"
    )
    assert report.created == 1
    with pytest.raises(TableError) as exc:
        members_import(
            actor=world.users["district_admin"], data="姓名,手机号\n张三,139\n".encode(), filename="m.csv"
        )
    assert {e.column for e in exc.value.errors} == {"id_number", "joined_on"}


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"\x00\x01binary", "m.xlsx", "xlsx"),
        (b"name\n", "m.pdf", ".xlsx"),
        (b"", "m.csv", "为空"),
        (b"\xff\xfe\x00garbage\x81", "m.csv", "编码"),
    ],
)
def test_import_rejects_bad_files_clearly(world: World, data: bytes, filename: str, message: str) -> None:
    with pytest.raises(TableError) as exc:
        members_import(actor=world.users["district_admin"], data=data, filename=filename)
    assert message in str(exc.value)


def test_transfer_and_leave_keep_history(world: World) -> None:
    member = world.members_a[1]
    admin = world.users["district_admin"]
    member_transfer(actor=admin, member=member, to_unit=world.unit_b(), on_date=dt.date(2025, 5, 1))
    member.refresh_from_db()
    assert member.org_unit_id == world.unit_b().pk and member.employer_id == world.enterprise_b.pk
    member_leave(actor=admin, member=member, on_date=dt.date(2025, 6, 1))
    kinds = list(member.events.values_list("kind", flat=True))
    assert kinds == ["join", "transfer", "leave"]
    with pytest.raises(DomainError):
        member_leave(actor=admin, member=member, on_date=dt.date(2025, 6, 2))


def test_transfer_needs_both_ends(world: World) -> None:
    with pytest.raises(PermissionDenied):
        member_transfer(
            actor=world.users["street_a_admin"],
            member=world.members_a[1],
            to_unit=world.unit_b(),
            on_date=dt.date(2025, 5, 1),
        )
    assert Member.objects.get(pk=world.members_a[1].pk).org_unit_id == world.unit_a().pk


def test_reveal_needs_admin_and_is_audited(world: World) -> None:
    member = Member.objects.get(pk=world.members_a[1].pk)
    value = member_reveal(actor=world.users["street_a_admin"], member=member, field="id_number")
    assert value == member.id_number
    assert (
        AuditEntry.objects.filter(
            action="member.reveal_id_number", actor=world.users["street_a_admin"]
        ).count()
        == 1
    )
    with pytest.raises(PermissionDenied):
        member_reveal(actor=world.users["street_a_reviewer"], member=member, field="id_number")
    with pytest.raises(PermissionDenied):
        member_reveal(actor=world.users["street_b_admin"], member=member, field="phone")
    assert AuditEntry.objects.filter(action__startswith="member.reveal").count() == 1


def test_transfer_page_as_admin(world: World) -> None:
    from django.test import Client

    from gonghui.conftest import PASSWORD

    client = Client()
    client.login(username="district_admin", password=PASSWORD)
    member = world.members_a[2]
    response = client.post(
        f"/members/{member.pk}/transfer/",
        {"to_unit": world.unit_b().pk, "on_date": "2025-01-02", "note": "调动"},
    )
    assert response.status_code == 302
    assert Member.objects.get(pk=member.pk).org_unit_id == world.unit_b().pk
    viewer = Client()
    viewer.login(username="district_viewer", password=PASSWORD)
    assert viewer.get(f"/members/{member.pk}/leave/").status_code == 404
