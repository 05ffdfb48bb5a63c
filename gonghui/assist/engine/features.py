"""Named features of a (query, document) pair and the linear re-ranker over them.

Every feature is in [0, 1]:

- `text`: the reciprocal-rank fusion of the word and bigram BM25 lists, divided by its maximum
  (first in both lists = 1.0, first in one list only = 0.5);
- `coverage`: the share of the query's idf mass the document matches, averaged over the two
  views. Ranks alone are flat (with k = 60 the 30th document still scores 0.68), so coverage
  tells a document that matches the specific words of the problem from one that only shares
  a common word, and keeps the boosts below from lifting the latter;
- `industry`: 1 when the query names an industry section and the document is in it;
- `region`: same district/county 1.0, same city (first 4 digits of the GB/T 2260 code) 0.6,
  same province (first 2 digits) 0.3, otherwise or unknown 0;
- `honours`: highest honour — national 1.0, provincial 0.6, city 0.3, any other 0.1, none 0;
- `track_record`: for craftsmen, volume of solved problems scaled by rating and responsiveness;
  for outcomes, the verified yearly benefit on a log scale (100万元 and above = 1.0);
- `capacity`: 1 when the craftsman can take another request (always 1 for outcomes); a full
  craftsman is demoted, not hidden — the dispatcher may still ask them.

`RankerWeights.score` is the dot product. The hand-set `DEFAULT_WEIGHTS` keep the text
features first: the 1st and the 5th document of both lists differ by about 0.06 in `text`, so
the boosts (0.02–0.05) reorder documents of similar textual relevance and do not lift a weak
text match over a strong one; a full craftsman loses 0.10, about ten places.
"""

from __future__ import annotations

import math
from dataclasses import astuple, dataclass
from decimal import Decimal

import numpy as np
import numpy.typing as npt

FEATURE_NAMES: tuple[str, ...] = (
    "text",
    "coverage",
    "industry",
    "region",
    "honours",
    "track_record",
    "capacity",
)

NATIONAL, PROVINCIAL, CITY, OTHER = 1.0, 0.6, 0.3, 0.1
SAME_DISTRICT, SAME_CITY, SAME_PROVINCE = 1.0, 0.6, 0.3
# Answers are due within 3 working days (spec, 技术门诊); slower experts weigh less.
RESPONSE_DUE_HOURS = 72.0
# Neutral quality for a craftsman nobody has rated yet: below a good rating, above a poor one.
UNRATED_QUALITY = 0.8
# 50 solved problems (accepted answers count half) saturate the volume term.
VOLUME_SATURATION = 50.0
# 100万元 a year of verified benefit saturates an outcome's track record (一等 grade threshold).
BENEFIT_SATURATION_WAN = 100.0

_NATIONAL_MARKS = ("全国", "大国工匠", "中华技能大奖", "国务院", "国家级")
_PROVINCES = (
    "北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江", "安徽",
    "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州",
    "云南", "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Features:
    """The re-ranker's inputs for one document (see the module docstring for each rule)."""

    text: float
    coverage: float
    industry: float
    region: float
    honours: float
    track_record: float
    capacity: float

    def vector(self) -> npt.NDArray[np.float64]:
        return np.array(astuple(self), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class RankerWeights:
    """Weights of the linear re-ranker, one per feature, with a version stored beside results."""

    text: float
    coverage: float
    industry: float
    region: float
    honours: float
    track_record: float
    capacity: float
    version: str

    def vector(self) -> npt.NDArray[np.float64]:
        return np.array([getattr(self, name) for name in FEATURE_NAMES], dtype=np.float64)

    def score(self, features: Features) -> float:
        """The ranking score: Σ weight × feature."""
        return float(sum(getattr(self, name) * getattr(features, name) for name in FEATURE_NAMES))

    @classmethod
    def from_vector(cls, values: npt.NDArray[np.float64], *, version: str) -> RankerWeights:
        return cls(**{name: float(v) for name, v in zip(FEATURE_NAMES, values, strict=True)}, version=version)


DEFAULT_WEIGHTS = RankerWeights(
    text=1.0,
    coverage=0.5,
    industry=0.05,
    region=0.03,
    honours=0.02,
    track_record=0.04,
    capacity=0.10,
    version="hand-v2",
)


def region_proximity(query_region: str | None, doc_region: str) -> tuple[float, str | None]:
    """Closeness of two GB/T 2260 codes and its label (same 区县 / 城市 / 省份), or (0, None)."""
    a, b = (query_region or "").strip(), doc_region.strip()
    if len(a) != 6 or len(b) != 6:
        return 0.0, None
    if a == b:
        return SAME_DISTRICT, "同区县"
    if a[:4] == b[:4]:
        return SAME_CITY, "同城市"
    if a[:2] == b[:2]:
        return SAME_PROVINCE, "同省份"
    return 0.0, None


def honour_level(honour: str) -> float:
    """The level of one honour: national, provincial (a province's name or 省), city, other.

    全国劳动模范, 大国工匠, 中华技能大奖, 国务院政府特殊津贴 → national; 浙江省劳动模范, 浙江工匠 →
    provincial; 杭州市劳动模范, 杭州工匠 → city; 首席技师, a district title → other.
    """
    text = honour.strip()
    if not text:
        return 0.0
    if any(mark in text for mark in _NATIONAL_MARKS):
        return NATIONAL
    if "省" in text or "自治区" in text or text.startswith(_PROVINCES):
        return PROVINCIAL
    if "市" in text or text.endswith(("工匠", "劳动模范", "劳模", "技术能手", "五一劳动奖章")):
        return CITY
    return OTHER


def top_honour(honours: tuple[str, ...]) -> tuple[float, str | None]:
    """The highest honour level and the first honour at that level (for the reasons)."""
    best, label = 0.0, None
    for honour in honours:
        level = honour_level(honour)
        if level > best:
            best, label = level, honour.strip()
    return best, label


def craftsman_track_record(
    *,
    confirmed_solutions: int,
    accepted_answers: int,
    rating_avg: float | None,
    median_response_hours: float | None,
) -> float:
    """Volume × quality × responsiveness, in [0, 1].

    Volume grows with the log of solved problems (accepted clinic answers count half) and
    saturates at 50; quality is the mean rating / 5 (0.8 when unrated); responsiveness is 1,
    or 0.8 when the median first answer takes longer than the 3-day due time.
    """
    solved = max(confirmed_solutions, 0) + 0.5 * max(accepted_answers, 0)
    volume = min(1.0, math.log1p(solved) / math.log1p(VOLUME_SATURATION))
    quality = UNRATED_QUALITY if rating_avg is None else max(0.0, min(rating_avg, 5.0)) / 5.0
    responsive = (
        0.8 if median_response_hours is not None and median_response_hours > RESPONSE_DUE_HOURS else 1.0
    )
    return volume * quality * responsive


def outcome_track_record(verified_benefit: Decimal | None) -> float:
    """Verified yearly benefit on a log scale: 0 for none, 1.0 from 100万元 up."""
    if verified_benefit is None or verified_benefit <= 0:
        return 0.0
    wan = float(verified_benefit) / 10_000
    return min(1.0, math.log1p(wan) / math.log1p(BENEFIT_SATURATION_WAN))
