"""Build the fictional demo district 示范区 (idempotent, fixed seed)."""

from __future__ import annotations

import random
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from gonghui.accounts.models import Role, RoleGrant, User
from gonghui.accounts.services import user_create
from gonghui.members.factories import build_member, save_members, zh_faker
from gonghui.members.models import Member
from gonghui.orgs.factories import build_district
from gonghui.orgs.models import OrgUnit

STREETS = [
    "城厢街道",
    "北干街道",
    "蜀山街道",
    "新塘街道",
    "宁围街道",
    "新街街道",
    "闻堰街道",
    "瓜沥镇",
    "益农镇",
    "河上镇",
    "戴村镇",
    "义桥镇",
]
DEMO_PASSWORD = "gonghui2026"  # noqa: S105 - fictional demo accounts only
SEED = 20261122


class Command(BaseCommand):
    help = "Create the demo district (≥10 streets, 200+ enterprises, 5,000 members, staff logins)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--members", type=int, default=5000)
        parser.add_argument("--enterprises-per-street", type=int, default=17)

    def handle(self, *args: Any, **options: Any) -> None:
        district = OrgUnit.objects.filter(division_code="330199", level="district").first()
        if district is None:
            with transaction.atomic():
                district = self._build(options["members"], options["enterprises_per_street"])
        else:
            self.stdout.write("示范区已存在，跳过数据生成（幂等）。")
        self._accounts(district)
        from django.apps import apps

        for config in apps.get_app_configs():  # modules add their own demo data
            seeder = getattr(config, "seed_demo", None)
            if seeder is not None:
                seeder(stdout=self.stdout)
        self.stdout.write(
            self.style.SUCCESS(
                f"\n演示账号（密码均为 {DEMO_PASSWORD}）：\n"
                "  district_admin   区总工会管理员（全区）\n"
                "  district_reviewer 区总工会审核员\n"
                "  street_admin     城厢街道总工会管理员（仅本街道）\n"
                "  enterprise_admin 企业工会管理员（仅本企业）\n"
                "  worker           职工（手机页面；或手机号 13900000001 + 验证码，验证码打印在终端）\n"
                "  city_reviewer    市总工会审核员（医疗互助第二级审核）\n"
                "  root             系统管理员\n"
            )
        )

    def _build(self, member_count: int, per_street: int) -> OrgUnit:
        rng = random.Random(SEED)
        fake = zh_faker(SEED)
        built = build_district(
            rng, street_names=STREETS[:12], communities_per_street=2, enterprises_per_street=per_street
        )
        members: list[Member] = []
        flexible_count = member_count // 12
        employee_count = member_count - flexible_count
        weights = [e.employee_count for e in built.enterprises]
        for _ in range(employee_count):
            enterprise = rng.choices(built.enterprises, weights)[0]
            members.append(build_member(rng, fake, org_unit=enterprise.union, employer=enterprise))
        for _ in range(flexible_count):
            members.append(
                build_member(
                    rng,
                    fake,
                    org_unit=rng.choice(built.communities),
                    kind=rng.choice(["flexible", "new_form"]),
                )
            )
        save_members(members)
        self.stdout.write(
            f"已生成：{len(built.streets)} 个镇街，{len(built.communities)} 个社区/园区，"
            f"{len(built.enterprises)} 家企业，{len(members)} 名会员。"
        )
        return built.district

    def _accounts(self, district: OrgUnit) -> None:
        district.refresh_from_db()  # numchild changed while the tree was built
        street = district.get_children().order_by("path").first()
        enterprise_unit = (
            OrgUnit.objects.filter(path__startswith=street.path, level="enterprise").order_by("path").first()
        )
        specs = [
            ("district_admin", "区总工会管理员", Role.ADMIN, district, ""),
            ("district_reviewer", "区总工会审核员", Role.REVIEWER, district, ""),
            ("street_admin", "城厢街道管理员", Role.ADMIN, street, ""),
            ("enterprise_admin", "企业工会主席", Role.ADMIN, enterprise_unit, ""),
            ("worker", "", Role.WORKER, enterprise_unit, "13900000001"),
        ]
        for username, display, role, unit, phone in specs:
            user = User.objects.filter(username=username).first()
            if user is None:
                if username == "worker":
                    member = (
                        Member.objects.filter(org_unit=enterprise_unit, user__isnull=True)
                        .order_by("pk")
                        .first()
                    )
                    display = member.name if member else "示例职工"
                user = user_create(
                    actor=None, username=username, display_name=display, password=DEMO_PASSWORD, phone=phone
                )
                if username == "worker" and member is not None:
                    member.user = user
                    member.save(update_fields=["user"])
            if not RoleGrant.objects.filter(user=user, role=role, org_unit=unit, revoked_at=None).exists():
                RoleGrant.objects.create(user=user, role=role, org_unit=unit)
        if not User.objects.filter(username="root").exists():
            User.objects.create_superuser("root", password=DEMO_PASSWORD, display_name="系统管理员")
