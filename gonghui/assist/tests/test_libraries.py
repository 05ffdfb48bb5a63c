"""Library services: craftsmen, library outcomes, demands and photos, the innovation sync and
the imports — validation, permissions, audit rows and the search index kept in step."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from openpyxl import Workbook

from gonghui.accounts.models import Role, RoleGrant, User
from gonghui.assist import libraries as svc
from gonghui.assist import search
from gonghui.assist.evaluation import EVAL_DIR
from gonghui.assist.models import Craftsman, Demand, DemandPhoto, Dispatch, LibraryOutcome, SearchEntry
from gonghui.audit.models import AuditEntry
from gonghui.conftest import World, make_user
from gonghui.core.errors import DomainError, PermissionDenied
from gonghui.core.tabular import TableError
from gonghui.innovation.factories import advance
from gonghui.innovation.models import Outcome
from gonghui.innovation.outcomes import TeamMemberInput, outcome_archive, outcome_create

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
HEADER_C = "external_id,name,honours,region,industry,trades,skills,bio"
HEADER_O = "external_id,title,type,industry,description"


# --- helpers shared by the other test modules -------------------------------------------------


def eval_csv(name: str, rows: int | None = None) -> bytes:
    """The evaluation set's contract file, optionally cut to its first ``rows`` rows."""
    lines = (EVAL_DIR / name).read_text(encoding="utf-8").splitlines()
    kept = lines if rows is None else lines[: rows + 1]
    return ("\n".join(kept) + "\n").encode()


def load_eval_library(world: World, *, craftsmen: int | None = None, outcomes: int | None = None) -> None:
    """Import (part of) the evaluation set into the district's library, as the system."""
    svc.craftsmen_import(
        actor=None, org_unit=world.district, data=eval_csv("craftsmen.csv", craftsmen), filename="c.csv"
    )
    svc.outcomes_import(
        actor=None, org_unit=world.district, data=eval_csv("outcomes.csv", outcomes), filename="o.csv"
    )


def contact_of(world: World, enterprise_attr: str = "enterprise_a", username: str = "contact_a") -> User:
    """A user with the enterprise_contact role on the enterprise's union."""
    enterprise = getattr(world, enterprise_attr)
    return make_user(username, role=Role.ENTERPRISE_CONTACT, unit=enterprise.union)


def post_demand(world: World, actor: User, **kwargs) -> Demand:
    defaults = {
        "enterprise": world.enterprise_a,
        "title": "数控车床主轴异响",
        "description": "CK6150数控车床主轴转起来有异响，转速高了发热，工件外圆有振纹。",
        "equipment_model": "CK6150",
    }
    return svc.demand_create(actor=actor, **{**defaults, **kwargs})


def _entry(kind: str, object_id: int) -> SearchEntry:
    return SearchEntry.objects.get(kind=kind, object_id=object_id)


# --- craftsmen ---------------------------------------------------------------------------------


def test_craftsman_create_validates_indexes_and_audits(world: World) -> None:
    admin = world.users["district_admin"]
    craftsman = svc.craftsman_create(
        actor=admin,
        org_unit=world.district,
        name=" 陈建国 ",
        honours="全国劳动模范、浙江工匠",
        region="330199",
        industry="c",
        trades=["数控车工"],
        skills="细长轴加工、FANUC系统",
        bio="擅长数控车床主轴异响诊断。",
    )
    assert craftsman.name == "陈建国" and craftsman.industry == "C"
    assert craftsman.honours == ["全国劳动模范", "浙江工匠"]
    entry = _entry("craftsman", craftsman.pk)
    assert "主轴" in entry.words.split() and "异响" in entry.words.split()
    assert "fanuc" in entry.bigrams.split()
    audit = AuditEntry.objects.get(action="assist.craftsman.create")
    assert audit.actor == admin and audit.target_id == str(craftsman.pk)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "  ", "姓名不能为空"),
        ("region", "999999", "行政区划代码"),
        ("region", "33019", "行政区划代码"),
        ("industry", "Z", "A–T"),
        ("monthly_capacity", "-1", "0–99"),
        ("skill_level", "宗师", "技能等级"),
    ],
)
def test_craftsman_fields_are_checked(world: World, field: str, value: str, message: str) -> None:
    kwargs = {"name": "张三", field: value}
    with pytest.raises(DomainError) as caught:
        svc.craftsman_create(actor=world.users["district_admin"], org_unit=world.district, **kwargs)
    assert caught.value.field == field and message in caught.value.message
    assert not Craftsman.objects.exists() and not SearchEntry.objects.exists()


@pytest.mark.parametrize("who", ["street_b_admin", "street_a_reviewer", "worker_a", "nobody"])
def test_only_administrators_of_the_union_add_craftsmen(world: World, who: str) -> None:
    with pytest.raises(PermissionDenied):
        svc.craftsman_create(actor=world.users[who], org_unit=world.street_a, name="张三")
    assert not Craftsman.objects.exists()


def test_craftsman_update_reindexes_and_withdrawal_leaves_the_index(world: World) -> None:
    admin = world.users["district_admin"]
    craftsman = svc.craftsman_create(actor=admin, org_unit=world.district, name="李四", bio="焊接机器人编程")
    svc.craftsman_update(actor=admin, craftsman=craftsman, bio="注塑模具披锋修复", available=True)
    assert search.search("craftsman", "words", ["焊接"], 10) == []
    assert [i for i, _ in search.search("craftsman", "words", ["注塑"], 10)] == [craftsman.pk]
    audit = AuditEntry.objects.get(action="assist.craftsman.update")
    assert audit.after == {"bio": "注塑模具披锋修复"}  # unchanged fields are not recorded
    svc.craftsman_update(actor=admin, craftsman=craftsman, active=False)
    assert not SearchEntry.objects.filter(kind="craftsman").exists()
    with pytest.raises(PermissionDenied):
        svc.craftsman_update(actor=world.users["street_b_admin"], craftsman=craftsman, bio="x")


def test_external_id_is_unique(world: World) -> None:
    admin = world.users["district_admin"]
    svc.craftsman_create(actor=admin, org_unit=world.district, name="甲", external_id="GJ1")
    with pytest.raises(DomainError) as caught:
        svc.craftsman_create(actor=admin, org_unit=world.district, name="乙", external_id="GJ1")
    assert caught.value.field == "external_id"


# --- library outcomes --------------------------------------------------------------------------


def test_library_outcome_with_trial_terms(world: World) -> None:
    admin = world.users["district_admin"]
    with pytest.raises(DomainError) as caught:
        svc.library_outcome_create(
            actor=admin, org_unit=world.district, title="快换夹具", trial_offered=True, licence_form="licence"
        )
    assert caught.value.field == "licence_fee"
    outcome = svc.library_outcome_create(
        actor=admin,
        org_unit=world.district,
        title="快换夹具",
        type="先用后转",
        description="换型时间缩短到 8 分钟",
        trial_offered=True,
        licence_form="licence",
        licence_fee="50000",
        trial_months=6,
    )
    assert outcome.region == "330199"  # the union's region by default
    assert outcome.licence_fee == Decimal("50000.00")
    assert [i for i, _ in search.search("outcome", "words", ["换型"], 10)] == [outcome.pk]
    assert AuditEntry.objects.filter(action="assist.outcome.create").count() == 1


def test_sync_innovation_copies_adopted_outcomes_once(world: World) -> None:
    admin = world.users["district_admin"]

    def filed(title: str, status: str) -> Outcome:
        outcome = outcome_create(
            actor=admin,
            org_unit=world.unit_a(),
            type=Outcome.Type.FIVE_SMALL,
            subtype="小革新",
            title=title,
            measures="加装刮板式自动清扫机构",
            team=[TeamMemberInput(name="周工", share=Decimal(100))],
        )
        return advance(outcome, proposer=admin, staff=admin, to=status)

    adopted = filed("输煤皮带自动清扫装置", Outcome.Status.ADOPTED)
    filed("还在评审的成果", Outcome.Status.IN_REVIEW)
    declined = filed("不采纳的成果", Outcome.Status.DECLINED)
    outcome_archive(outcome=declined, actor=admin)  # archived without being adopted: not synced
    report = svc.library_sync_innovation(org_unit=world.district)
    assert (report.created, report.updated) == (1, 0)
    entry = LibraryOutcome.objects.get()
    assert entry.innovation_outcome == adopted and entry.source == "innovation"
    assert entry.type == "五小·小革新" and entry.region == "330199"
    assert [i for i, _ in search.search("outcome", "words", ["清扫"], 10)] == [entry.pk]
    again = svc.library_sync_innovation(org_unit=world.district)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    Outcome.objects.filter(pk=adopted.pk).update(title="输煤皮带自动清扫装置（改进）")
    assert svc.library_sync_innovation(org_unit=world.district).updated == 1
    assert LibraryOutcome.objects.get().title.endswith("（改进）")
    with pytest.raises(PermissionDenied):
        svc.library_sync_innovation(org_unit=world.district, actor=world.users["street_a_admin"])


# --- demands -----------------------------------------------------------------------------------


def test_enterprise_contact_posts_a_demand(world: World) -> None:
    contact = contact_of(world)
    demand = post_demand(world, contact, photos=[SimpleUploadedFile("fault.PNG", PNG)])
    assert demand.org_unit == world.unit_a() and demand.created_by == contact
    assert demand.industry == world.enterprise_a.industry and demand.region == "330199"
    assert demand.status == Demand.Status.OPEN
    assert [p.name for p in demand.photos.all()] == ["fault.PNG"]
    assert AuditEntry.objects.get(action="assist.demand.create").after["photos"] == 1


def test_who_may_post_for_an_enterprise(world: World) -> None:
    other_contact = contact_of(world, "enterprise_b", "contact_b")
    for user in (other_contact, world.users["street_b_admin"], world.users["worker_a"]):
        with pytest.raises(PermissionDenied):
            post_demand(world, user)
    assert post_demand(world, world.users["street_a_reviewer"]).created_by == world.users["street_a_reviewer"]
    revoked = contact_of(world, username="contact_old")
    RoleGrant.objects.filter(user=revoked).update(revoked_at="2026-01-01T00:00:00Z")
    with pytest.raises(PermissionDenied):
        post_demand(world, revoked)


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("virus.exe", b"MZ" + b"\x00" * 64), "不支持的照片类型"),
        (SimpleUploadedFile("fake.jpg", b"GIF89a" + b"\x00" * 64), "不是有效的图片"),
        (SimpleUploadedFile("empty.jpg", b""), "为空"),
        (SimpleUploadedFile("huge.jpg", JPEG + b"\x00" * (10 * 1024 * 1024)), "超过 10 MB"),
    ],
)
def test_bad_photos_leave_nothing_behind(world: World, upload: SimpleUploadedFile, message: str) -> None:
    good = SimpleUploadedFile("ok.jpg", JPEG)
    with pytest.raises(DomainError) as caught:
        post_demand(world, contact_of(world), photos=[good, upload])
    assert caught.value.field == "photos" and message in caught.value.message
    assert not Demand.objects.exists() and not DemandPhoto.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"title": " "}, "title"),
        ({"description": ""}, "description"),
        ({"kind": "x"}, "kind"),
        ({"urgency": "x"}, "urgency"),
    ],
)
def test_demand_fields_are_checked(world: World, kwargs: dict, field: str) -> None:
    with pytest.raises(DomainError) as caught:
        post_demand(world, contact_of(world), **kwargs)
    assert caught.value.field == field and caught.value.code == "demand_invalid"


def test_photo_added_later_by_author_or_staff_only(world: World) -> None:
    contact = contact_of(world)
    demand = post_demand(world, contact)
    svc.demand_photo_add(
        actor=contact,
        demand=demand,
        upload=SimpleUploadedFile("a.webp", b"RIFF\x00\x00\x00\x00WEBP" + b"\x00" * 8),
    )
    with pytest.raises(PermissionDenied):
        svc.demand_photo_add(
            actor=world.users["street_b_admin"], demand=demand, upload=SimpleUploadedFile("b.png", PNG)
        )
    assert demand.photos.count() == 1


# --- imports -----------------------------------------------------------------------------------


def _csv(header: str, *rows: str) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def test_contract_import_is_bulk_idempotent_and_indexed(world: World, django_assert_max_num_queries) -> None:
    data = eval_csv("craftsmen.csv", 40)
    with django_assert_max_num_queries(30):  # bulk: the count does not grow with the rows
        report = svc.craftsmen_import(actor=None, org_unit=world.district, data=data, filename="C.csv")
    assert (report.created, report.updated, report.unchanged) == (40, 0, 0)
    assert Craftsman.objects.count() == 40 and SearchEntry.objects.filter(kind="craftsman").count() == 40
    first = Craftsman.objects.get(external_id="GJ001")
    assert first.honours == ["全国劳动模范", "大国工匠"] and first.trades == ["数控车工"]
    assert first.org_unit == world.district and first.monthly_capacity == 3
    again = svc.craftsmen_import(actor=None, org_unit=world.district, data=data, filename="C.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 40)
    changed = data.replace("从事数控车削三十年".encode(), "从事激光熔覆三十年".encode())
    third = svc.craftsmen_import(actor=None, org_unit=world.district, data=changed, filename="C.csv")
    assert (third.created, third.updated, third.unchanged) == (0, 1, 39)
    assert [i for i, _ in search.search("craftsman", "words", ["熔覆"], 10)] == [first.pk]
    assert Craftsman.objects.count() == 40


def test_outcome_import(world: World) -> None:
    report = svc.outcomes_import(
        actor=world.users["district_admin"],
        org_unit=world.district,
        data=eval_csv("outcomes.csv", 10),
        filename="O.csv",
    )
    assert report.created == 10
    outcome = LibraryOutcome.objects.get(external_id="CG002")
    assert outcome.type == "先进操作法" and outcome.region == "330199" and outcome.source == "import"
    assert AuditEntry.objects.get(action="assist.outcome.import").after["created"] == 10


@pytest.mark.parametrize(
    ("data", "filename", "expected"),
    [
        (b"\xff\xfe\xff" + HEADER_C.encode(), "C.csv", "无法识别文件编码"),
        (
            _csv("external_id,name,honours,industry,trades,skills,bio", "GJ1,张三,,C,,,"),
            "C.csv",
            "第 1 行「region」：缺少必需的列",
        ),
        (
            _csv(HEADER_C, "GJ1,张三,,330199,C,,,", "GJ1,李四,,330199,C,,,"),
            "C.csv",
            "第 3 行「外部编号(external_id)」：与第 2 行重复",
        ),
        (
            _csv(HEADER_C, "GJ1,张三,,330199,C,,,", "GJ2,李四,,999999,C,,,"),
            "C.csv",
            "第 3 行「地区代码(region)」",
        ),
        (_csv(HEADER_C, ",张三,,330199,C,,,"), "C.csv", "第 2 行「外部编号(external_id)」：外部编号不能为空"),
        (_csv(HEADER_C, "GJ1,,,330199,C,,,"), "C.csv", "第 2 行「姓名(name)」"),
        (_csv(HEADER_C, "GJ1,张三,,330199,Z,,,"), "C.csv", "第 2 行「行业门类(industry)」"),
        (b"PK\x03\x04 not really a workbook", "C.xlsx", "无法读取 xlsx"),
        (_csv(HEADER_C, "GJ1,张三,,330199,C,,,"), "C.pdf", "仅支持 .xlsx 或 .csv"),
    ],
)
def test_bad_files_name_row_and_column_and_write_nothing(
    world: World, data: bytes, filename: str, expected: str
) -> None:
    with pytest.raises(TableError) as caught:
        svc.craftsmen_import(
            actor=world.users["district_admin"], org_unit=world.district, data=data, filename=filename
        )
    assert any(expected in str(error) for error in caught.value.errors), caught.value.errors
    assert not Craftsman.objects.exists() and not SearchEntry.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="assist.").exists()


def test_gb18030_csv_and_skip_invalid(world: World) -> None:
    data = (
        _csv(HEADER_C, "GJ1,张三,浙江工匠,330199,C,钳工,装配,", "GJ2,李四,,1,C,,,").decode().encode("gb18030")
    )
    report = svc.craftsmen_import(
        actor=world.users["district_admin"],
        org_unit=world.district,
        data=data,
        filename="C.csv",
        skip_invalid=True,
    )
    assert report.created == 1 and [e.row for e in report.rejected] == [3]
    assert Craftsman.objects.get().honours == ["浙江工匠"]


def test_xlsx_with_template_titles(world: World) -> None:
    columns, example = svc.IMPORT_TEMPLATES["craftsmen"]
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(columns))
    sheet.append(example)
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = svc.craftsmen_import(
        actor=world.users["district_admin"],
        org_unit=world.district,
        data=buffer.getvalue(),
        filename="t.xlsx",
    )
    craftsman = Craftsman.objects.get()
    assert report.created == 1 and craftsman.skill_level == "senior_technician"
    assert craftsman.equipment == ["CK6150数控车床", "FANUC 0i-TF"] and craftsman.monthly_capacity == 4


def test_import_cannot_take_over_another_unions_record(world: World) -> None:
    svc.craftsmen_import(
        actor=world.users["street_b_admin"],
        org_unit=world.street_b,
        data=_csv(HEADER_C, "GJ1,张三,,330199,C,,,"),
        filename="C.csv",
    )
    with pytest.raises(TableError) as caught:
        svc.craftsmen_import(
            actor=world.users["street_a_admin"],
            org_unit=world.street_a,
            data=_csv(HEADER_C, "GJ1,李四,,330199,C,,,"),
            filename="C.csv",
        )
    assert "其他工会" in str(caught.value.errors[0])
    assert Craftsman.objects.get().name == "张三"
    with pytest.raises(PermissionDenied):
        svc.craftsmen_import(
            actor=world.users["street_a_admin"], org_unit=world.street_b, data=b"", filename="C.csv"
        )


# --- demo --------------------------------------------------------------------------------------


def test_demo_library_seeds_a_fresh_world(world: World) -> None:
    from gonghui.assist.demo_library import seed_library

    out = io.StringIO()
    seed_library(district=world.district, stdout=out)
    assert Craftsman.objects.count() >= 300 and LibraryOutcome.objects.count() >= 200
    assert SearchEntry.objects.filter(kind="craftsman").count() == Craftsman.objects.count()
    assert SearchEntry.objects.filter(kind="outcome").count() == LibraryOutcome.objects.count()
    assert Demand.objects.count() >= 50
    statuses = set(Demand.objects.values_list("status", flat=True))
    assert statuses == {"open", "matched", "in_service", "solved", "closed"}  # every state has rows
    # Booked places match the dispatches still active (solved demands gave theirs back).
    active = Dispatch.objects.filter(released_at__isnull=True).count()
    assert Craftsman.objects.aggregate(n=Sum("open_requests"))["n"] >= active > 0
    contact = User.objects.get(username="enterprise_contact")
    assert contact.check_password("gonghui2026")
    assert RoleGrant.objects.filter(user=contact, role=Role.ENTERPRISE_CONTACT).exists()
    assert Demand.objects.filter(created_by=contact).exists()
    login = User.objects.get(username="craftsman")
    assert login.craftsman.external_id == "GJ003" and login.check_password("gonghui2026")
    assert "enterprise_contact" in out.getvalue()
    seed_library(district=world.district, stdout=io.StringIO())  # idempotent: nothing added
    assert (
        Demand.objects.filter(created_by=contact).count() == Demand.objects.filter(created_by=contact).count()
    )


def test_eval_files_exist() -> None:
    assert Path(EVAL_DIR / "craftsmen.csv").exists()
