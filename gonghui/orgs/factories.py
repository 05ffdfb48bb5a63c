"""Builders for union trees, shared by tests and the demo district."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from gonghui.core.factories import make_uscc
from gonghui.orgs.models import Enterprise, OrgUnit
from gonghui.orgs.services import enterprise_create, org_unit_create

INDUSTRY_WEIGHTS = {
    "C": 40,
    "E": 8,
    "F": 12,
    "G": 8,
    "H": 7,
    "I": 8,
    "K": 3,
    "L": 4,
    "M": 4,
    "N": 2,
    "O": 2,
    "P": 1,
    "Q": 1,
}
ENTERPRISE_WORDS = {
    "C": ["精密机械", "汽车零部件", "纺织印染", "电子科技", "化纤", "五金工具", "新材料", "智能装备"],
    "E": ["建设工程", "建筑安装", "市政工程"],
    "F": ["商贸", "供应链", "超市"],
    "G": ["物流", "运输", "快递"],
    "H": ["餐饮管理", "酒店"],
    "I": ["信息技术", "网络科技", "软件"],
    "K": ["物业服务", "置业"],
    "L": ["人力资源", "商务服务"],
    "M": ["检测技术", "设计研究院"],
    "N": ["环境服务", "园林绿化"],
    "O": ["家政服务", "汽车维修"],
    "P": ["职业培训学校"],
    "Q": ["康复医院"],
}


def national_chain() -> OrgUnit:
    """全总 → 浙江省 → 杭州市 (idempotent): the ancestors of the demo district."""
    national = OrgUnit.objects.filter(depth=1, level="national").first()
    if national is None:
        national = org_unit_create(actor=None, parent=None, name="中华全国总工会", level="national")
    province = national.get_children().filter(division_code="330000").first() or org_unit_create(
        actor=None, parent=national, name="浙江省总工会", level="province", division_code="330000"
    )
    return province.get_children().filter(division_code="330100").first() or org_unit_create(
        actor=None, parent=province, name="杭州市总工会", level="city", division_code="330100"
    )


@dataclass
class BuiltDistrict:
    district: OrgUnit
    streets: list[OrgUnit] = field(default_factory=list)
    communities: list[OrgUnit] = field(default_factory=list)
    enterprises: list[Enterprise] = field(default_factory=list)


def build_district(
    rng: random.Random,
    *,
    name: str = "示范区总工会",
    code: str = "330199",
    street_names: list[str],
    communities_per_street: int = 2,
    enterprises_per_street: int = 2,
) -> BuiltDistrict:
    """A district with streets, community/park federations and enterprise unions."""
    city = national_chain()
    district = org_unit_create(
        actor=None,
        parent=city,
        name=name,
        level="district",
        division_code=code,
        address=f"{name[:-3]}人民路1号",
    )
    built = BuiltDistrict(district=district)
    industries = list(INDUSTRY_WEIGHTS)
    weights = list(INDUSTRY_WEIGHTS.values())
    for s_index, street_name in enumerate(street_names, start=1):
        street = org_unit_create(
            actor=None,
            parent=district,
            name=f"{street_name}总工会",
            level="street",
            division_code=f"{code}{s_index:03d}",
        )
        built.streets.append(street)
        communities = []
        for c_index in range(1, communities_per_street + 1):
            kind = "园区" if c_index == communities_per_street else "社区"
            community = org_unit_create(
                actor=None,
                parent=street,
                level="community",
                name=f"{street_name[:-2]}{'第' + str(c_index) if kind == '社区' else ''}{kind}工会联合会",
                division_code=f"{code}{s_index:03d}{c_index:03d}",
            )
            communities.append(community)
        built.communities.extend(communities)
        for e_index in range(enterprises_per_street):
            industry = rng.choices(industries, weights)[0]
            word = rng.choice(ENTERPRISE_WORDS[industry])
            brand = rng.choice("恒华泰鑫盛达安丰瑞宏远嘉俊利新永和德信创诚") + rng.choice(
                "科宇联达丰源通力顺伟业星旭升宁"
            )
            enterprise = enterprise_create(
                actor=None,
                parent=communities[e_index % len(communities)],
                name=f"杭州{brand}{word}有限公司"
                if e_index % 7
                else f"{street_name[:-2]}{brand}{word}有限公司",
                uscc=make_uscc(rng, region=code),
                industry=industry,
                size=rng.choices(["large", "medium", "small", "micro"], [1, 4, 10, 6])[0],
                employee_count=rng.randrange(15, 900),
                address=f"{street_name}{rng.randrange(1, 400)}号",
            )
            built.enterprises.append(enterprise)
    return built
