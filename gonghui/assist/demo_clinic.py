"""Builders and demo data of the technical clinic (fixed seed).

The builders (`make_contact`, `make_expert`, `drive`) are shared by the tests and the demo
seeder, and drive the real services, so a demo question in any state has the same audit rows,
dispatches, index entries and track records as a real one. `seed_clinic` fills the demo
district with questions in every state; only dates are moved back afterwards so deadlines,
overdue flags and response times look like a working clinic.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from gonghui.accounts.models import Role, RoleGrant, User
from gonghui.accounts.services import user_create
from gonghui.assist import clinic as svc
from gonghui.assist import matching
from gonghui.assist.models import ClinicAnswer, ClinicAssignment, ClinicQuestion, Craftsman, Demand, Urgency
from gonghui.core.scoping import ACTION_ROLES
from gonghui.core.workdays import add_working_days
from gonghui.orgs.models import Enterprise, OrgUnit

SEED = 5150
DEMO_PASSWORD = "gonghui2026"  # noqa: S105 - fictional demo accounts only (as seed_demo)
S = ClinicQuestion.Status
E = ClinicQuestion.Escalation

# How each status is reached from 待认领.
PATHS: dict[str, tuple[str, ...]] = {
    S.OPEN: (),
    S.ASSIGNED: ("assign",),
    S.ANSWERED: ("assign", "answer"),
    S.ACCEPTED: ("assign", "answer", "accept"),
    S.ESCALATED: ("assign", "answer", "escalate"),
    S.CLOSED: ("assign", "answer", "accept", "close"),
}


def make_contact(
    *,
    enterprise: Enterprise,
    username: str,
    display_name: str = "",
    phone: str = "",
    password: str | None = None,
) -> User:
    """A login holding the enterprise-contact role on the enterprise's union."""
    user = user_create(
        actor=None, username=username, display_name=display_name or username, password=password, phone=phone
    )
    RoleGrant.objects.create(user=user, role=Role.ENTERPRISE_CONTACT, org_unit=enterprise.union)
    return user


def make_expert(
    *,
    org_unit: OrgUnit,
    name: str,
    username: str | None = None,
    phone: str = "",
    password: str | None = None,
    **fields: Any,
) -> Craftsman:
    """A craftsman of the library (indexed for matching at once), with a login holding the
    craftsman role when ``username`` is given."""
    user = None
    if username:
        user = user_create(actor=None, username=username, display_name=name, password=password, phone=phone)
        RoleGrant.objects.create(user=user, role=Role.CRAFTSMAN, org_unit=org_unit)
    craftsman = Craftsman.objects.create(org_unit=org_unit, name=name, user=user, **fields)
    matching.index_craftsmen([craftsman])
    return craftsman


def drive(
    question: ClinicQuestion,
    *,
    to: str,
    dispatcher: User,
    expert: Craftsman,
    answer_text: str = "检查传感器接线与屏蔽层接地，更换老化的编码器电缆后复测。",
    rating: int = 5,
    escalate_to: str = E.VISIT,
    claim: bool = False,
) -> ClinicQuestion:
    """Move a fresh question to ``to`` through the services: the dispatcher assigns (or the
    expert claims) ``expert``, who answers; the asker accepts and rates; then escalate/close."""
    asker = question.demand.created_by
    expert_user = expert.user
    for step in PATHS[to]:
        if step == "assign":
            if claim and expert_user is not None:
                svc.clinic_claim(question=question, actor=expert_user)
            else:
                svc.clinic_assign(question=question, actor=dispatcher, craftsman=expert)
        elif step == "answer":
            if expert_user is None:
                raise ValueError("the expert needs a login to answer")
            svc.clinic_answer(question=question, actor=expert_user, text=answer_text)
        elif step == "accept":
            answer = question.answers.get(craftsman=expert)
            svc.clinic_accept(question=question, actor=asker, answer=answer, rating=rating)
        elif step == "escalate":
            svc.clinic_escalate(question=question, actor=dispatcher, to=escalate_to)
        elif step == "close":
            svc.clinic_close(question=question, actor=asker)
    question.refresh_from_db()
    return question


# --- demo data ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Expert:
    name: str
    honours: tuple[str, ...]
    industry: str
    trades: tuple[str, ...]
    skills: tuple[str, ...]
    equipment: tuple[str, ...]
    bio: str


EXPERTS = [
    _Expert(
        "钱卫国",
        ("全国劳动模范", "浙江工匠"),
        "C",
        ("数控车工",),
        ("数控车床故障诊断", "伺服调试", "精度补偿"),
        ("FANUC 0i-TF", "CK6150", "西门子 828D"),
        "从事数控加工 28 年，擅长数控系统报警处理和主轴、伺服故障诊断。",
    ),
    _Expert(
        "孙丽娟",
        ("杭州工匠",),
        "C",
        ("电工", "自动化"),
        ("PLC 编程", "变频器调试", "现场总线"),
        ("西门子 S7-1200", "三菱 FX5U", "ABB ACS580"),
        "负责全厂自动化产线维护，擅长 PLC 程序诊断、变频器参数整定与通讯故障排查。",
    ),
    _Expert(
        "周建华",
        ("省级技能大师",),
        "C",
        ("焊工",),
        ("焊接工艺评定", "焊接变形控制", "机器人焊接"),
        ("松下 TM-1400 焊接机器人", "埋弧焊机"),
        "焊接高级技师，长期解决薄板焊接变形、气孔和焊缝开裂问题。",
    ),
    _Expert(
        "吴海燕",
        ("全国技术能手",),
        "D",
        ("变电运维",),
        ("变压器检修", "继电保护", "电能质量"),
        ("SCB11 干式变压器", "10kV 开关柜"),
        "供电系统检修 20 年，擅长变压器温升异常、开关柜局放和谐波治理。",
    ),
    _Expert(
        "郑国强",
        ("区级技能大师",),
        "C",
        ("钳工", "设备维修"),
        ("液压系统维修", "设备润滑", "振动分析"),
        ("注塑机液压系统", "空压机", "齿轮箱"),
        "设备维修钳工，擅长液压系统泄漏、异响和压力不稳的诊断。",
    ),
]


@dataclass(frozen=True)
class _Case:
    title: str
    equipment: str
    description: str
    answer: str
    urgency: str = Urgency.NORMAL


CASES = [
    _Case(
        "数控车床加工时出现 414 伺服报警",
        "FANUC 0i-TF",
        "CK6150 数控车床粗车时 X 轴频繁出现 SV0414 报警，冷机时正常，运行两小时后出现。",
        "414 报警多为伺服放大器检测到异常电流。先测电机绝缘和动力线，检查 X 轴丝杠润滑与导轨阻力；"
        "热机后出现的多为电缆在拖链内磨损，建议更换 X 轴动力线并检查放大器风扇。",
    ),
    _Case(
        "PLC 与变频器通讯间歇中断",
        "西门子 S7-1200",
        "包装线 S7-1200 通过 Modbus 控制 6 台 ABB 变频器，每天不定时通讯中断，变频器报通讯故障停机。",
        "检查 RS485 总线两端终端电阻是否都已接入，屏蔽层单端接地；变频器动力线与通讯线分槽敷设。"
        "把通讯超时由 1 秒调到 3 秒并在 PLC 中加重试，问题可消除。",
        Urgency.HIGH,
    ),
    _Case(
        "薄板焊接后变形严重",
        "松下 TM-1400 焊接机器人",
        "2mm 不锈钢箱体机器人焊接后平面度超差 3mm，返修量大。",
        "采用分段退焊和对称焊顺序，降低焊接电流并提高焊速；增加铜垫板散热，工装夹紧点加密，"
        "焊后变形可控制在 0.8mm 以内。",
    ),
    _Case(
        "干式变压器温度偏高报警",
        "SCB11 干式变压器",
        "夏季负载 70% 时 B 相绕组温度达到 130℃ 报警，其他两相 105℃ 左右。",
        "单相温度高先查该相温控探头和风机；若探头正常，用红外测温确认，再检查 B 相谐波电流。"
        "清理风道积灰并更换故障风机后温度恢复正常。",
    ),
    _Case(
        "注塑机液压系统压力不稳",
        "注塑机液压系统",
        "海天 280 吨注塑机保压阶段压力波动 ±8bar，产品飞边和缺料交替出现。",
        "检查比例溢流阀阀芯是否卡滞，清洗或更换；检查液压油温度和污染度，油温超过 55℃ 需检查冷却器。"
        "更换滤芯并校准比例阀后压力波动降到 ±1.5bar。",
    ),
    _Case(
        "空压机排气温度过高停机",
        "空压机",
        "螺杆空压机运行半小时后排气温度达到 110℃ 停机，环境温度 35℃。",
        "检查油位和油品，清洗油冷却器散热片，检查温控阀是否失效；机房加强通风，排风口加导风罩。",
        Urgency.CRITICAL,
    ),
    _Case(
        "数控铣床主轴异响",
        "西门子 828D",
        "立式加工中心主轴 8000 转以上有尖锐异响，低速正常。",
        "高速异响多为主轴轴承预紧力不足或润滑不良，先做振动频谱分析确认轴承故障频率，"
        "必要时返厂更换主轴轴承并重新动平衡。",
    ),
    _Case(
        "焊缝气孔率高",
        "埋弧焊机",
        "埋弧焊焊缝 X 光检测气孔超标，雨季明显增多。",
        "焊剂使用前按要求烘干并保温，清理坡口油锈和水分，检查送丝嘴和焊丝表面锈蚀。",
    ),
    _Case(
        "开关柜局部放电检测值偏高",
        "10kV 开关柜",
        "带电检测时 3 号开关柜暂态地电压 28dB，比相邻柜高 15dB。",
        "重点检查电缆终端头和母线连接处，停电后检查绝缘件表面爬电痕迹，清洁并处理后复测。",
        Urgency.HIGH,
    ),
    _Case(
        "变频器过电压跳闸",
        "ABB ACS580",
        "离心风机停机减速时变频器报直流母线过电压。",
        "延长减速时间或启用过压控制功能；大惯量负载需加装制动单元和制动电阻。",
    ),
    _Case(
        "齿轮箱油温高且有异响",
        "齿轮箱",
        "搅拌机减速齿轮箱油温 85℃，伴随周期性敲击声。",
        "检查油位、油品牌号是否正确，做油液铁谱分析；周期性敲击多为齿面点蚀或断齿，需开箱检查。",
    ),
    _Case(
        "机器人焊接轨迹偏移",
        "松下 TM-1400 焊接机器人",
        "更换工装后机器人焊接轨迹整体偏移 2mm。",
        "重新标定工具坐标系和用户坐标系，检查工装定位销磨损，使用焊缝跟踪功能补偿。",
    ),
    _Case(
        "车削工件尺寸漂移",
        "CK6150",
        "批量车削时外圆尺寸随时间逐渐增大 0.03mm。",
        "多为热变形，开机后先空运行预热 20 分钟，启用热位移补偿，检查刀具磨损补偿是否及时。",
    ),
    _Case(
        "PLC 程序误动作导致停线",
        "三菱 FX5U",
        "输送线偶发无故停线，PLC 报警记录无异常。",
        "检查急停回路和安全继电器接线，排查输入信号抖动，在程序中对关键输入做滤波和自锁。",
    ),
]

# (status, how many; escalation for escalated ones); every state has content.
STATUS_MIX: list[tuple[str, int]] = [
    (S.OPEN, 3),
    (S.ASSIGNED, 2),
    (S.ANSWERED, 2),
    (S.ACCEPTED, 1),
    (S.ESCALATED, 3),
    (S.CLOSED, 5),
]
ESCALATIONS = [E.VISIT, E.CHALLENGE, E.STUDIO]


def _free_username(preferred: str, fallback: str) -> str:
    """``preferred`` (a demo login) if nobody has it yet, else the first free ``fallback``-n."""
    if not User.objects.filter(username=preferred).exists():
        return preferred
    taken = set(User.objects.filter(username__startswith=fallback).values_list("username", flat=True))
    number = 1
    while f"{fallback}{number}" in taken:
        number += 1
    return f"{fallback}{number}"


def _dispatcher(district: OrgUnit) -> User:
    """A reviewer of the district (the demo's district_reviewer / admin), else a new one."""
    grant = (
        RoleGrant.objects.filter(
            org_unit=district, role__in=sorted(ACTION_ROLES["review"]), revoked_at__isnull=True
        )
        .select_related("user")
        .order_by("role", "pk")
        .first()
    )
    if grant is not None:
        return grant.user
    user = user_create(
        actor=None,
        username=_free_username("clinic_dispatcher", "clinic_dispatcher"),
        display_name="门诊调度员",
        password=DEMO_PASSWORD,
    )
    RoleGrant.objects.create(user=user, role=Role.REVIEWER, org_unit=district)
    return user


def _experts(district: OrgUnit) -> list[Craftsman]:
    """Craftsmen of the district with logins: existing ones get a login if they have none;
    the demo's five are created when the district has fewer than three."""
    existing = list(
        Craftsman.objects.filter(org_unit__path__startswith=district.path, active=True).order_by("pk")[:5]
    )
    experts: list[Craftsman] = []
    for craftsman in existing:
        if craftsman.user_id is None:
            username = _free_username("craftsman", "clinic_expert")
            craftsman.user = user_create(
                actor=None,
                username=username,
                display_name=craftsman.name,
                password=DEMO_PASSWORD if username == "craftsman" else None,
            )
            craftsman.save(update_fields=["user", "updated_at"])
            RoleGrant.objects.create(user=craftsman.user, role=Role.CRAFTSMAN, org_unit=craftsman.org_unit)
        experts.append(craftsman)
    if len(experts) >= 3:
        return experts
    for spec in EXPERTS:
        experts.append(
            make_expert(
                org_unit=district,
                name=spec.name,
                username=_free_username("craftsman", "clinic_expert"),
                password=DEMO_PASSWORD,
                honours=list(spec.honours),
                industry=spec.industry,
                region=district.division_code[:6],
                trades=list(spec.trades),
                skills=list(spec.skills),
                equipment=list(spec.equipment),
                bio=spec.bio,
                skill_level=Craftsman.SkillLevel.SENIOR_TECHNICIAN,
            )
        )
    return experts


def _contacts(district: OrgUnit, count: int) -> list[tuple[User, Enterprise]]:
    """Enterprise contacts of the first enterprises of the district (the demo login
    ``enterprise_contact`` is the first)."""
    enterprises = list(
        Enterprise.objects.filter(union__path__startswith=district.path).order_by("pk")[:count]
    )
    contacts: list[tuple[User, Enterprise]] = []
    for index, enterprise in enumerate(enterprises):
        contact = (
            User.objects.filter(
                grants__role=Role.ENTERPRISE_CONTACT,
                grants__org_unit=enterprise.union,
                grants__revoked_at__isnull=True,
            )
            .order_by("pk")
            .first()
        )
        if contact is None:
            username = _free_username("enterprise_contact", f"ec{enterprise.pk}_") if index == 0 else ""
            contact = make_contact(
                enterprise=enterprise,
                username=username or _free_username(f"ec{enterprise.pk}", f"ec{enterprise.pk}_"),
                display_name=f"{enterprise.name[:8]}联系人",
                password=DEMO_PASSWORD if username == "enterprise_contact" else None,
            )
        contacts.append((contact, enterprise))
    return contacts


def _backdate(question: ClinicQuestion, asked: dt.datetime, rng: random.Random) -> None:
    """Move the question's timeline back to ``asked`` (assignments hours later, answers within
    the deadline) and recompute the response hours the services recorded."""
    Demand.objects.filter(pk=question.demand_id).update(created_at=asked)
    for assignment in ClinicAssignment.objects.filter(question=question):
        assigned = asked + dt.timedelta(hours=rng.randint(1, 6))
        ClinicAssignment.objects.filter(pk=assignment.pk).update(assigned_at=assigned)
        for answer in ClinicAnswer.objects.filter(question=question, craftsman_id=assignment.craftsman_id):
            answered = assigned + dt.timedelta(hours=rng.randint(2, 40), minutes=rng.randint(0, 59))
            start = asked if assignment.claimed else assigned
            hours = (Decimal((answered - start).total_seconds()) / 3600).quantize(
                Decimal("0.1"), rounding=ROUND_HALF_UP
            )
            ClinicAnswer.objects.filter(pk=answer.pk).update(created_at=answered, response_hours=hours)
    if question.closed_at is not None:
        ClinicQuestion.objects.filter(pk=question.pk).update(
            closed_at=asked + dt.timedelta(days=rng.randint(3, 9))
        )


def _latest_asked_on(today: dt.date, due_by: dt.date) -> dt.date:
    """The latest day before ``today`` a question could be asked and be due by ``due_by``."""
    day = today
    while svc.first_answer_due(day) > due_by:
        day -= dt.timedelta(days=1)
    return day


def _asked_on(status: str, index: int, today: dt.date, rng: random.Random) -> dt.date:
    """Open and assigned questions straddle their deadline whatever the date (one overdue, one
    due the next working day, one fresh); finished ones were asked weeks ago."""
    if status in (S.OPEN, S.ASSIGNED):
        due_by = [today - dt.timedelta(days=1), add_working_days(today, 1), svc.first_answer_due(today)]
        return _latest_asked_on(today, due_by[index % 3])
    return today - dt.timedelta(days=rng.randint(10, 120))


def seed_clinic(*, district: OrgUnit, stdout: Any) -> int:
    """Clinic questions in every state for the demo district (idempotent: nothing is added if
    the district already has clinic questions). Returns how many were created."""
    if ClinicQuestion.objects.filter(demand__org_unit__path__startswith=district.path).exists():
        return 0
    with override_settings(SMS_BACKEND="gonghui.accounts.sms.LocmemSmsBackend"), transaction.atomic():
        created = _seed(district)
    stdout.write(f"技术门诊：已生成 {created} 个问题（各状态均有）。")
    return created


def _seed(district: OrgUnit) -> int:
    rng = random.Random(SEED)
    dispatcher = _dispatcher(district)
    experts = _experts(district)
    contacts = _contacts(district, 6)
    if not contacts:
        return 0
    today = timezone.localdate()
    cases: Sequence[_Case] = CASES
    number = 0
    for status, count in STATUS_MIX:
        for index in range(count):
            case = cases[number % len(cases)]
            contact, enterprise = contacts[number % len(contacts)]
            asked_on = _asked_on(status, index, today, rng)
            question = svc.clinic_ask(
                actor=contact,
                enterprise=enterprise,
                title=case.title,
                description=case.description,
                equipment_model=case.equipment,
                urgency=case.urgency,
                confidential=number % 7 == 3,
                today=asked_on,
            )
            expert = _best_expert(question, experts, number)
            drive(
                question,
                to=status,
                dispatcher=dispatcher,
                expert=expert,
                answer_text=case.answer,
                rating=rng.choice([4, 5, 5, 3, 5]),
                escalate_to=ESCALATIONS[index % len(ESCALATIONS)],
                claim=not question.demand.confidential and number % 2 == 0,
            )
            question.refresh_from_db()
            asked = timezone.make_aware(dt.datetime.combine(asked_on, dt.time(9, rng.randint(0, 59))))
            _backdate(question, asked, rng)
            number += 1
    svc.craftsman_track_record_recompute(craftsman_ids=[e.pk for e in experts])
    return number


def _best_expert(question: ClinicQuestion, experts: Sequence[Craftsman], number: int) -> Craftsman:
    """The top suggestion among the demo experts (as a dispatcher would pick), else round robin."""
    ids = {e.pk: e for e in experts}
    for row in matching.match_demand(demand=question.demand, kind="craftsman", limit=10):
        expert = ids.get(int(row.id))
        if expert is not None and not matching.has_conflict(expert, question.demand.enterprise_id):
            return expert
    candidates = [e for e in experts if not matching.has_conflict(e, question.demand.enterprise_id)]
    return candidates[number % len(candidates)]
