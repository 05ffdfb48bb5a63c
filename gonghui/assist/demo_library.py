"""Demo libraries for the demo district (fixed seed): a few hundred craftsmen and library
outcomes — the labelled evaluation set imported through the import service plus generated
variations, inserted and indexed in bulk — the district's adopted innovation outcomes synced,
about 60 enterprise demands posted through the demand service with a few dispatches, and two
logins: ``enterprise_contact`` (contact of a demo enterprise) and ``craftsman`` (linked to a
craftsman record), both with the demo password.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from gonghui.accounts.models import Role, RoleGrant, User
from gonghui.accounts.services import user_create
from gonghui.assist import demands as demands_svc
from gonghui.assist import libraries, matching
from gonghui.assist.engine import parse_craftsmen_csv, parse_outcomes_csv
from gonghui.assist.evaluation import EVAL_DIR
from gonghui.assist.models import Craftsman, Demand, DemandKind, LibraryOutcome, Urgency
from gonghui.core.errors import DomainError
from gonghui.orgs.models import Enterprise, OrgUnit

SEED = 2027
DEMO_PASSWORD = "gonghui2026"  # noqa: S105 - fictional demo accounts only
EXTRA_CRAFTSMEN = 140
EXTRA_OUTCOMES = 100
DEMANDS = 60
DISPATCHED = 8

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔汤"
GIVEN = "建国立新春华海波志强文斌晓燕红梅国良明亮卫东秀英振华永刚德胜玉兰宏伟俊杰晓东丽娟世杰金龙伟民"
HONOURS = [
    "全国劳动模范",
    "全国五一劳动奖章",
    "大国工匠",
    "全国技术能手",
    "浙江工匠",
    "浙江省劳动模范",
    "杭州工匠",
    "杭州市劳动模范",
    "杭州市技术能手",
    "首席技师",
    "区级技能大师",
]
REGIONS = ["330199"] * 6 + ["330102", "330106", "330108", "330110", "330200", "320500"]
OUTCOME_VARIANTS = [
    ("（改进型）", "在原方案基础上改进，"),
    ("（推广版）", "已在同类设备上推广应用，"),
    ("（二期）", "二期优化后，"),
]


def seed_library(*, district: OrgUnit, stdout: Any) -> None:
    """Seed the libraries of ``district`` once (a district that already has craftsmen is left
    alone). Needs the district's enterprises and, for the demands, an administrator of the
    district (or above); prints a one-line summary to ``stdout``."""
    if Craftsman.objects.filter(org_unit__path__startswith=district.path).exists():
        return
    with transaction.atomic():
        _seed(district, stdout)


def _eval_bytes(name: str) -> bytes:
    return (EVAL_DIR / name).read_bytes()


def _name(rng: random.Random) -> str:
    given = "".join(rng.sample(GIVEN, rng.choice((1, 2))))
    return rng.choice(SURNAMES) + given


def _track_record(craftsman: Craftsman, rng: random.Random) -> None:
    """Plausible derived figures (the clinic services maintain them in real use)."""
    craftsman.confirmed_solutions = rng.choice((0, 0, 1, 2, 3, 5, 8, 12, 20, 35))
    craftsman.accepted_answers = rng.choice((0, 0, 1, 2, 4, 6, 10))
    rated = craftsman.confirmed_solutions + craftsman.accepted_answers > 0
    craftsman.rating_count = rng.randint(1, 30) if rated else 0
    craftsman.rating_avg = Decimal(str(round(rng.uniform(3.8, 5.0), 2))) if rated else None
    craftsman.median_response_hours = Decimal(str(round(rng.uniform(2, 96), 1))) if rated else None
    craftsman.monthly_capacity = rng.choice((2, 3, 4, 4, 6))
    craftsman.open_requests = craftsman.monthly_capacity if rng.random() < 0.12 else rng.randint(0, 1)
    craftsman.skill_level = rng.choice(Craftsman.SkillLevel.values[2:])


def _craftsmen(district: OrgUnit, enterprises: list[Enterprise], rng: random.Random) -> list[Craftsman]:
    libraries.craftsmen_import(
        actor=None, org_unit=district, data=_eval_bytes("craftsmen.csv"), filename="craftsmen.csv"
    )
    imported = list(Craftsman.objects.filter(org_unit=district).order_by("pk"))
    for craftsman in imported:
        _track_record(craftsman, rng)
    # A few work for demo enterprises: their employer is a conflict of interest.
    for craftsman in rng.sample(imported, min(12, len(imported))):
        employer = rng.choice(enterprises)
        craftsman.enterprise, craftsman.employer_name = employer, employer.name
    Craftsman.objects.bulk_update(
        imported,
        [
            "confirmed_solutions",
            "accepted_answers",
            "rating_count",
            "rating_avg",
            "median_response_hours",
            "monthly_capacity",
            "open_requests",
            "skill_level",
            "enterprise",
            "employer_name",
        ],
        batch_size=500,
    )
    base = parse_craftsmen_csv(_eval_bytes("craftsmen.csv").decode("utf-8-sig").splitlines())
    extra: list[Craftsman] = []
    for index in range(EXTRA_CRAFTSMEN):
        doc = base[index % len(base)]
        skills = rng.sample(list(doc.skills), max(1, min(len(doc.skills), rng.randint(2, 4))))
        years = rng.randint(8, 32)
        first_sentence = doc.bio.split("。")[0]
        craftsman = Craftsman(
            external_id=f"DEMO-GJ{index + 1:04d}",
            name=_name(rng),
            honours=rng.sample(HONOURS, rng.choice((0, 1, 1, 2))),
            org_unit=district,
            region=rng.choice(REGIONS),
            industry=doc.industry,
            trades=list(doc.trades),
            skills=skills,
            bio=f"从事{doc.trades[0] if doc.trades else '技术'}工作{years}年，擅长{'、'.join(skills)}。{first_sentence}。",
            available=rng.random() > 0.05,
        )
        _track_record(craftsman, rng)
        extra.append(craftsman)
    created = Craftsman.objects.bulk_create(extra, batch_size=500)
    matching.index_craftsmen(created)  # the imported ones were indexed by the import
    return [*imported, *created]


def _outcomes(district: OrgUnit, rng: random.Random) -> int:
    libraries.outcomes_import(
        actor=None, org_unit=district, data=_eval_bytes("outcomes.csv"), filename="outcomes.csv"
    )
    imported = list(LibraryOutcome.objects.filter(org_unit=district).order_by("pk"))
    for outcome in imported:
        outcome.verified_benefit = rng.choice((None, None, Decimal(30000), Decimal(120000), Decimal(560000)))
        if outcome.type == "先用后转":
            outcome.trial_offered = True
            outcome.owner_name = "示范区职工创新成果转化中心"
            outcome.licence_form = rng.choice(LibraryOutcome.LicenceForm.values)
            outcome.licence_fee = Decimal(rng.choice((20000, 50000, 80000)))
            outcome.trial_months = rng.choice((3, 6))
    LibraryOutcome.objects.bulk_update(
        imported,
        ["verified_benefit", "trial_offered", "owner_name", "licence_form", "licence_fee", "trial_months"],
        batch_size=500,
    )
    base = parse_outcomes_csv(_eval_bytes("outcomes.csv").decode("utf-8-sig").splitlines())
    extra = []
    for index in range(EXTRA_OUTCOMES):
        doc = base[index % len(base)]
        suffix, lead = OUTCOME_VARIANTS[(index // len(base)) % len(OUTCOME_VARIANTS)]
        extra.append(
            LibraryOutcome(
                external_id=f"DEMO-CG{index + 1:04d}",
                title=f"{doc.title}{suffix}"[:160],
                type=doc.type,
                industry=doc.industry,
                region=rng.choice(REGIONS),
                description=f"{lead}{doc.description}",
                verified_benefit=rng.choice((None, Decimal(15000), Decimal(80000), Decimal(250000))),
                org_unit=district,
            )
        )
    created = LibraryOutcome.objects.bulk_create(extra, batch_size=500)
    matching.index_outcomes(created)
    return len(imported) + len(created)


def _user(username: str, display_name: str) -> User:
    existing = User.objects.filter(username=username).first()
    if existing is not None:
        return existing
    return user_create(actor=None, username=username, display_name=display_name, password=DEMO_PASSWORD)


def _grant(user: User, role: str, unit: OrgUnit) -> None:
    RoleGrant.objects.get_or_create(user=user, role=role, org_unit=unit, revoked_at=None)
    user.__dict__.pop("_gonghui_grant_paths", None)


def _dispatcher(district: OrgUnit) -> User | None:
    """An administrator of the district or a union above it (the demo's district_admin)."""
    prefixes = [district.path[:i] for i in range(OrgUnit.steplen, len(district.path) + 1, OrgUnit.steplen)]
    grant = (
        RoleGrant.objects.filter(role=Role.ADMIN, org_unit__path__in=prefixes, revoked_at__isnull=True)
        .select_related("user")
        .order_by("-org_unit__depth", "pk")
        .first()
    )
    return grant.user if grant else None


def _title(text: str) -> str:
    for mark in "，。；！？,;":
        text = text.split(mark)[0]
    return text[:40] or "技术难题"


def _demands(
    district: OrgUnit,
    enterprises: list[Enterprise],
    contact: User,
    contact_of: Enterprise,
    rng: random.Random,
) -> list[Demand]:
    texts = [
        json.loads(line)["text"]
        for line in (EVAL_DIR / "demands.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    admin = _dispatcher(district)
    demands: list[Demand] = []
    for index in range(min(DEMANDS, len(texts))):
        text = texts[index]
        own = index % 10 == 0
        enterprise = contact_of if own else rng.choice(enterprises)
        actor = contact if own or admin is None else admin
        if actor is contact and enterprise != contact_of:
            enterprise = contact_of
        try:
            demands.append(
                libraries.demand_create(
                    actor=actor,
                    enterprise=enterprise,
                    title=_title(text),
                    description=text,
                    equipment_model="",
                    kind=rng.choice(DemandKind.values),
                    urgency=rng.choice(Urgency.values),
                    confidential=rng.random() < 0.1,
                )
            )
        except DomainError:  # pragma: no cover - a demo tree without the expected roles
            continue
    now = timezone.now()
    for demand in demands:
        when = now - dt.timedelta(days=rng.randint(0, 180), hours=rng.randint(0, 20))
        Demand.objects.filter(pk=demand.pk).update(created_at=when, updated_at=when)
    if admin is not None:
        for demand in demands[1 : 1 + DISPATCHED]:
            ranked = matching.match_demand(demand=demand, kind="craftsman", limit=3)
            if not ranked:
                continue
            rank = 1 if rng.random() < 0.6 else min(len(ranked), rng.randint(2, 3))
            chosen = Craftsman.objects.get(pk=ranked[rank - 1].id)
            matching.record_dispatch(
                demand=demand,
                craftsman=chosen,
                actor=admin,
                shown_rank=rank,
                shown_score=ranked[rank - 1].score,
            )
        _lifecycle(demands, admin)
    return demands


SOLVED_NOTES = ("现场调整参数后问题消除，已连续稳定生产两周", "更换磨损部件并培训操作工，企业确认解决")


def _lifecycle(demands: list[Demand], admin: User) -> None:
    """Some dispatched demands in service or solved (notes as enterprises write them), one open
    demand closed: every state of the demand list has rows."""
    dispatched = [d for d in demands if Demand.objects.filter(pk=d.pk, status=Demand.Status.MATCHED).exists()]
    for index, demand in enumerate(dispatched[:4]):
        demands_svc.demand_start_service(demand=demand, actor=admin)
        if index < 2:
            demands_svc.demand_mark_solved(demand=demand, actor=admin, note=SOLVED_NOTES[index])
    still_open = [d for d in demands if Demand.objects.filter(pk=d.pk, status=Demand.Status.OPEN).exists()]
    if still_open:
        demands_svc.demand_close(demand=still_open[-1], actor=admin, reason="企业已自行解决，撤回需求")


def _seed(district: OrgUnit, stdout: Any) -> None:
    rng = random.Random(SEED)
    enterprises = list(
        Enterprise.objects.filter(union__path__startswith=district.path)
        .select_related("union")
        .order_by("pk")
    )
    if not enterprises:
        stdout.write("助企行资源库：示范区还没有企业，跳过。")
        return
    craftsmen = _craftsmen(district, enterprises, rng)
    outcome_count = _outcomes(district, rng)
    synced = libraries.library_sync_innovation(org_unit=district)
    contact_of = next((e for e in enterprises if e.industry == "C"), enterprises[0])
    contact = _user("enterprise_contact", f"{contact_of.name[:20]}联系人")
    _grant(contact, Role.ENTERPRISE_CONTACT, contact_of.union)
    expert = next((c for c in craftsmen if c.external_id == "GJ003"), None)
    if expert is not None and expert.user_id is None:
        login = _user("craftsman", expert.name)
        if not hasattr(login, "craftsman"):
            Craftsman.objects.filter(pk=expert.pk).update(user=login)
        _grant(login, Role.CRAFTSMAN, district)
    demands = _demands(district, enterprises, contact, contact_of, rng)
    stdout.write(
        f"助企行资源库：{len(craftsmen)} 名劳模工匠、{outcome_count + synced.created} 项创新成果"
        f"（含职工创新同步 {synced.created} 项）、{len(demands)} 条企业需求；"
        f"企业联系人账号 enterprise_contact（{contact_of.name}），工匠账号 craftsman（密码同上）。"
    )
