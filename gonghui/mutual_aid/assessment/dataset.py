"""Builds the versioned training set of diagnosis names for the text model.

`build()` expands the base names of `vocabulary.py` with realistic modifiers (side, stage,
TNM, pathology grade, chemotherapy cycle, complications…) into several thousand labelled
names, deterministically (a random generator seeded per base name). Each critical-illness
base also yields `none` names for history, follow-up, screening and suspected diagnoses
(`乳腺癌术后复查`, `疑似肺癌`, `恶性肿瘤个人史` style): they do not assert a disease present
now, and their codes (Z85/Z08/Z12/Z03/R…) are outside the catalogue.

The split into train / validation / test is by BASE NAME (a name and all its variants land
in one split), stratified per category, so the held-out test set only holds bases the model
never saw in any variant. Regenerate the committed CSV with
`python -m gonghui.mutual_aid.assessment.dataset`.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import random
import sys
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from gonghui.mutual_aid.assessment.vocabulary import HARD_NEGATIVES, ORDINARY, POSITIVE_BASES

DATASET_PATH = Path(__file__).resolve().parent.parent / "data" / "diagnosis_names_v1.csv"
NONE = "none"
COLUMNS = ("name", "label", "base", "kind", "split")
SEED = 20260101

Split = Literal["train", "validation", "test"]
Kind = Literal["positive", "derived_negative", "hard_negative", "ordinary"]

POSITIVE_VARIANTS = 10  # names per critical-illness base (including the bare base)
DERIVED_NEGATIVES = 4  # history / suspected names per critical-illness base
NONE_VARIANTS = 6  # names per ordinary or hard-negative base
HOLDOUT_SHARE = 0.15  # of each stratum's bases, for validation and again for test


@dataclass(frozen=True, slots=True)
class DatasetRow:
    """One labelled diagnosis name; `base` is the group the split is decided on."""

    name: str
    label: str
    base: str
    kind: Kind
    split: Split


def normalise_name(name: str) -> str:
    """The form the model sees: NFKC (full-width → half-width, Ⅲ → III), trimmed, single
    spaces, Latin letters lower-cased."""
    text = unicodedata.normalize("NFKC", name)
    return " ".join(text.split()).lower()


# --- modifiers ------------------------------------------------------------------------------


def _numbers(start: int, stop: int) -> tuple[str, ...]:
    return tuple(str(i) for i in range(start, stop + 1))


def _tnm() -> tuple[str, ...]:
    out = []
    for p in ("", "p", "c", "yp"):
        for t in ("1", "1a", "1b", "2", "2a", "2b", "3", "4", "4a", "4b", "x"):
            for n in ("0", "1", "2", "3"):
                for m in ("0", "1"):
                    out.append(f"{p}T{t}N{n}M{m}")
    return tuple(out)


POOLS: dict[str, tuple[str, ...]] = {
    "side": ("左", "右", "左侧", "右侧"),
    "side3": ("左侧", "右侧", "双侧"),
    "hemi": ("左侧", "右侧"),
    "stage": ("Ⅰ期", "ⅠA期", "ⅠB期", "Ⅱ期", "ⅡA期", "ⅡB期", "Ⅲ期", "ⅢA期", "ⅢB期", "ⅢC期",
              "Ⅳ期", "ⅣA期", "ⅣB期", "晚期", "早期", "局部晚期"),
    "tnm": _tnm(),
    "met": ("淋巴结", "肝", "骨", "肺", "脑", "腹膜", "多发", "纵隔淋巴结", "锁骨上淋巴结",
            "肾上腺", "腹膜后淋巴结"),
    "cycle": _numbers(1, 12),
    "grade": ("高分化", "中分化", "低分化", "中-低分化", "中高分化"),
    "path": ("腺癌", "鳞状细胞癌", "小细胞癌", "印戒细胞癌", "未分化癌", "黏液腺癌"),
    "cancer_comp": ("恶性胸腔积液", "癌性疼痛", "恶性腹水", "化疗后骨髓抑制", "梗阻性黄疸",
                    "病理性骨折", "低蛋白血症", "肿瘤相关性贫血"),
    "risk": ("高危组", "中危组", "低危组", "标危"),
    "heme_comp": ("粒细胞缺乏伴发热", "肺部感染", "重度贫血", "血小板减少", "骨髓抑制"),
    "killip": ("Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ"),
    "nyha": ("Ⅱ", "Ⅲ", "Ⅳ"),
    "hours": _numbers(1, 72),
    "vessel": ("前降支", "回旋支", "右冠状动脉", "左主干"),
    "region": ("左侧大脑中动脉供血区", "右侧大脑中动脉供血区", "左侧基底节区", "右侧基底节区",
               "双侧基底节区", "左侧放射冠区", "右侧颞叶", "左侧额叶", "右侧顶叶", "脑干",
               "左侧小脑半球", "右侧丘脑"),
    "stroke_comp": ("伴左侧肢体偏瘫", "伴右侧肢体偏瘫", "伴吞咽困难", "伴言语不清",
                    "伴意识障碍", "伴肺部感染", "伴症状性癫痫", "伴认知障碍"),
    "toast": ("大动脉粥样硬化型", "心源性栓塞型", "小动脉闭塞型", "其他明确病因型"),
    "nihss": _numbers(2, 30),
    "n_year": _numbers(1, 20),
    "n_month": _numbers(1, 24),
    "n_day": _numbers(2, 30),
    "ckd_cause": ("糖尿病肾病", "慢性肾小球肾炎", "高血压肾病", "多囊肾", "IgA肾病",
                  "狼疮性肾炎"),
    "ckd_comp": ("肾性贫血", "肾性骨病", "高钾血症", "继发性甲状旁腺功能亢进",
                 "代谢性酸中毒", "心力衰竭"),
    "dial": ("2", "3"),
    "mech": ("车祸伤", "高处坠落伤", "机器绞伤", "重物砸伤", "摔伤"),
    "liver_comp": ("腹水", "食管胃底静脉曲张", "脾功能亢进", "肝性脑病", "上消化道出血",
                   "低蛋白血症", "自发性腹膜炎"),
    "child": ("A", "B", "C"),
    "enc_comp": ("癫痫发作", "意识障碍", "颅内高压", "认知障碍", "精神行为异常"),
    "gcs": _numbers(3, 8),
    "db": _numbers(91, 120),
    "blind_cause": ("青光眼", "糖尿病视网膜病变", "视神经萎缩", "视网膜色素变性",
                    "高度近视黄斑病变", "眼外伤"),
    "va": ("无光感", "光感", "手动", "指数", "0.01", "0.02"),
    "muscle": _numbers(0, 3),
    "mmse": _numbers(3, 20),
    "head_region": ("左侧额颞部", "右侧额颞部", "右侧顶枕部", "双侧额叶", "左侧颞叶",
                    "右侧颞顶部"),
    "hy": ("2.5", "3", "4", "5"),
    "tbsa": _numbers(20, 95),
    "iii": _numbers(10, 60),
    "burn_cause": ("火焰", "热液", "化学", "电", "热压", "爆炸"),
    "pasp": _numbers(60, 120),
    "ibd_comp": ("肠梗阻", "肠瘘", "肛瘘", "贫血", "肠狭窄", "营养不良", "下消化道出血"),
    "mayo": _numbers(3, 12),
    "cdai": _numbers(150, 450),
    "skin_site": ("面部", "鼻部", "左面颊", "右面颊", "头皮", "额部", "左耳前", "右颞部",
                  "背部", "手背", "下唇", "左眼睑", "右鼻翼"),
    "size": ("0.5", "0.8", "1.0", "1.2", "1.5", "2.0", "2.5", "3.0", "4.0"),
    "lobe": ("左叶", "右叶", "双叶", "峡部"),
    "lung_lobe": ("上叶", "下叶", "中叶"),
    "comp": ("感染", "贫血", "电解质紊乱", "低蛋白血症", "脱水", "发热"),
    "sev": ("轻度", "中度", "重度"),
    "ctrl": ("稳定期", "控制良好", "控制不佳", "急性加重", "缓解期"),
    "comorb": ("高血压病", "2型糖尿病", "高脂血症", "冠心病", "脂肪肝", "慢性胃炎"),
    "weeks": _numbers(6, 41),
    "weeks_early": _numbers(5, 12),
    "g": _numbers(1, 5),
    "p": _numbers(0, 3),
}  # fmt: skip

PAIRED_ORGANS = ("肺", "肾", "乳", "卵巢", "输卵管", "睾丸", "腮腺", "脉络膜", "上颌窦",
                 "输尿管", "肾上腺", "视网膜")  # fmt: skip
SEQUELA_ENDINGS = ("后遗症", "状态", "术后")
HEME_WORDS = ("白血病", "淋巴瘤", "骨髓瘤")
HEMI_PARALYSIS = ("偏瘫", "单肢瘫", "偏身瘫痪")

Predicate = Callable[[str], bool]


def _always(_: str) -> bool:
    return True


def _paired(base: str) -> bool:
    return base.startswith(PAIRED_ORGANS)


def _carcinoma(base: str) -> bool:
    return base.endswith(("癌", "恶性肿瘤"))


def _malignant_nos(base: str) -> bool:
    return base.endswith("恶性肿瘤")


def _not_sequela(base: str) -> bool:
    return not base.endswith(SEQUELA_ENDINGS)


def _lymphoma(base: str) -> bool:
    return "淋巴瘤" in base


def _one_side(base: str) -> bool:
    return not base.startswith(("双", "多", "全身", "左", "右"))


def _hemi_paralysis(base: str) -> bool:
    return base.endswith(HEMI_PARALYSIS)


def _ischaemic(base: str) -> bool:
    return any(word in base for word in ("梗死", "栓塞", "缺血", "血栓")) and _not_sequela(base)


def _cervix(base: str) -> bool:
    return "宫颈" in base


def _cirrhosis_stage(base: str) -> bool:
    return "肝硬化" in base and "代偿" not in base


Template = tuple[str, Predicate]


def _t(*templates: str | tuple[str, Predicate]) -> tuple[Template, ...]:
    return tuple((t, _always) if isinstance(t, str) else t for t in templates)


POSITIVE_TEMPLATES: dict[str, tuple[Template, ...]] = {
    "cancer": _t(
        "{b}{stage}", "{b}（{tnm}）", "{b}（{tnm} {stage}）", "{b}伴{met}转移",
        "{b}{stage}伴{met}转移", "{b}术后化疗", "{b}第{cycle}次化疗", "{b}术后第{cycle}周期化疗",
        "{b}放疗", "{b}同步放化疗", "{b}靶向治疗", "{b}免疫治疗", "{b}新辅助化疗",
        "{b}姑息治疗", "{b}复发", "{b}术后复发", "{b}伴{cancer_comp}", "{b}维持治疗",
        ("{b}（{grade}）", _carcinoma), ("{grade}{b}", _carcinoma), ("{side}{b}", _paired),
        ("{side}{b}{stage}", _paired), ("{b}（{path}）", _malignant_nos),
    ),
    "heme": _t(
        "{b}（{risk}）", "{b}第{cycle}次化疗", "{b}诱导化疗", "{b}巩固化疗", "{b}完全缓解期",
        "{b}复发", "{b}维持治疗", "{b}伴{heme_comp}", "{b}靶向治疗", "{b}造血干细胞移植前",
        ("{b}{stage}", _lymphoma), ("{b}{stage}伴{met}侵犯", _lymphoma),
    ),
    "skin_cancer": _t(
        "{skin_site}{b}", "{skin_site}{b}切除术", "{b}（{size}cm）", "{b}（结节型）",
        "{b}术后复发", "{b}扩大切除", "{skin_site}{b}（{size}cm）", "{b}（浸润型）",
    ),
    "thyroid": _t(
        "{side3}{b}", "{b}伴颈部淋巴结转移", "{b}伴中央区淋巴结转移", "{b}（{tnm}）",
        "{b}碘131治疗", "{b}（多灶性）", "{b}术后碘131清甲治疗", "{b}（{stage}）",
        "{side3}{b}伴淋巴结转移",
    ),
    "in_situ": _t(
        "{b}（病理诊断）", "{b}（活检）", "{b}内镜下切除", "{b}累及腺体", "{b}（{size}cm）",
        ("{b}伴高危型HPV感染", _cervix), ("{b}锥切术", _cervix), ("{side}{b}", _paired),
    ),
    "mi": _t(
        "{b}（Killip {killip}级）", "冠状动脉粥样硬化性心脏病 {b}", "冠心病 {b}", "{b} PCI术后",
        "{b}（PCI术后）", "{b}伴心源性休克", "{b}伴室性心动过速", "{b}伴心力衰竭",
        "{b}（发病{hours}小时）", "{b}溶栓后", "{b} 心功能{nyha}级", "急性冠脉综合征 {b}",
        "{b}（{vessel}闭塞）", "{b} 高血压病3级",
    ),
    "stroke": _t(
        "{b}（{region}）", "{b}（急性期）", "{b}恢复期", "{b}{stroke_comp}",
        ("{b}静脉溶栓后", _ischaemic), ("{b}取栓术后", _ischaemic),
        ("{b}（TOAST分型：{toast}）", _ischaemic), "{b} 高血压病3级（极高危）",
        "{b}（NIHSS {nihss}分）", ("{hemi}{b}", _one_side), ("{b}后遗症", _not_sequela),
        ("{b}后遗症期", _not_sequela),
    ),
    "transplant": _t(
        "{b}（{n_year}年）", "{b}抗排异治疗", "{b}免疫抑制治疗", "{b}移植物功能稳定",
        "{b}他克莫司治疗", "{b}{n_year}年",
    ),
    "ckd": _t(
        "{ckd_cause} {b}", "{b}伴{ckd_comp}", "{b}（规律透析{n_year}年）",
        "{b}（每周{dial}次血液透析）", "{b} 动静脉内瘘术后", "{ckd_cause}致{b}",
        "{b}，{ckd_comp}",
    ),
    "amputation": _t(
        "{b}（完全性）", "{b}（不完全性）", "{b}伴失血性休克", "{b}（{mech}）",
        "{b}清创术后", ("{side}{b}", _one_side), ("{side}{b}（{mech}）", _one_side),
    ),
    "hepatitis": _t(
        "{b}（早期）", "{b}（中期）", "{b}（晚期）", "{b}伴肝性脑病", "{b}伴凝血功能障碍",
        "{b}人工肝治疗", "乙型病毒性肝炎 {b}", "{b}伴腹水", "{b}伴肝肾综合征",
    ),
    "brain_tumor": _t(
        "{b}（WHO Ⅰ级）", "{b}开颅切除术", "{b}伽玛刀治疗", "{b}伴癫痫", "{b}伴脑积水",
        "{b}（直径{size}cm）", "{b}复发", "{b}放射治疗", ("{hemi}{b}", _one_side),
    ),
    "cirrhosis": _t(
        "{b}（Child-Pugh {child}级）", "{b}伴{liver_comp}", "{b}伴{liver_comp}、{liver_comp}",
        "{b}（失代偿）", ("{b}失代偿期", _cirrhosis_stage), ("{b}代偿期", _cirrhosis_stage),
    ),
    "encephalitis": _t(
        "{b}（重型）", "{b}伴{enc_comp}", "{b}恢复期", "{b}（急性期）",
        ("{b}后遗症", _not_sequela), ("{b}后遗症期", _not_sequela),
    ),
    "coma": _t(
        "{b}（GCS {gcs}分）", "心肺复苏术后{b}", "脑外伤后{b}", "{b}（呼吸机辅助呼吸）",
        "{b} 气管插管状态", "{b}（持续{n_day}天）", "{b}伴呼吸衰竭",
    ),
    "deafness": _t(
        "{b}（{db}dB）", "{b}（极重度）", "{b}人工耳蜗植入术", "{b}伴耳鸣", "{b}（{n_year}年）",
        "{b}（纯音听阈{db}dB HL）",
    ),
    "blindness": _t(
        "{b}（{blind_cause}所致）", "{blind_cause}致{b}", "{b}（视力{va}）", "{b}（{n_year}年）",
    ),
    "paralysis": _t(
        "{b}（肌力{muscle}级）", "脊髓损伤后{b}", "{b}（{n_month}个月）", "{b}长期卧床",
        "{b}伴压疮", "{b}伴肌张力增高", ("{hemi}{b}", _hemi_paralysis),
        ("{hemi}{b}（肌力{muscle}级）", _hemi_paralysis),
    ),
    "dementia": _t(
        "{b}（轻度）", "{b}（中度）", "{b}（重度）", "{b}伴精神行为症状", "{b}伴睡眠障碍",
        "{b}（MMSE {mmse}分）",
    ),
    "brain_injury": _t(
        "{b}（{head_region}）", "{b}（{mech}）", "{b}伴颅骨骨折", "{b}开颅血肿清除术",
        "{b}（GCS {gcs}分）", "{b}伴脑疝", ("{hemi}{b}", _one_side),
    ),
    "parkinson": _t(
        "{b}（H-Y {hy}级）", "{b}（晚期）", "{b}伴运动并发症", "{b}伴冻结步态",
        "{b}脑深部电刺激术", "{b}（{n_year}年）", "{b}伴异动症",
    ),
    "burns": _t(
        "{b}（总面积{tbsa}%TBSA，Ⅲ度{iii}%）", "{b}伴吸入性损伤", "{b}伴休克",
        "{b}（{burn_cause}）", "{b}（Ⅲ度{iii}%）", "{burn_cause}{b}（总面积{tbsa}%）",
    ),
    "pah": _t(
        "{b}（WHO心功能{nyha}级）", "{b}（重度）", "{b}伴右心衰竭", "{b}靶向药物治疗",
        "{b}（肺动脉收缩压{pasp}mmHg）",
    ),
    "mnd": _t(
        "{b}（{n_year}年）", "{b}伴吞咽困难", "{b}伴呼吸肌无力", "{b}无创呼吸机辅助通气",
        "{b}（延髓起病型）", "{b}（肢体起病型）",
    ),
    "aphasia": _t("{b}（{n_month}个月）", "{b}（重度）", "{b}言语康复", "{b}（完全性）"),
    "aplastic": _t(
        "{b}伴感染", "{b}输血依赖", "{b}免疫抑制治疗", "{b} ATG治疗", "{b}伴粒细胞缺乏",
        "{b}伴出血",
    ),
    "resp_failure": _t(
        "慢性阻塞性肺疾病伴{b}", "{b}（家庭氧疗）", "{b}无创呼吸机辅助通气", "{b}伴肺性脑病",
        "尘肺 {b}", "{b}伴二氧化碳潴留",
    ),
    "ibd": _t(
        "{b}（活动期）", "{b}（缓解期）", "{b}伴{ibd_comp}", "{b}（重度）", "{b}（中度）",
        "{b}生物制剂治疗", "{b}（Mayo评分{mayo}分）", "{b}（CDAI {cdai}分）",
    ),
}  # fmt: skip

# History, follow-up, screening and suspected names: `none` whatever the base.
_CANCER_NEGATIVES = _t(
    "{b}个人史", "{b}病史", "{b}术后复查", "{b}术后随访", "{b}化疗后复查",
    "{b}根治术后{n_year}年复查", "疑似{b}", "{b}？", "{b}待查", "{b}待排", "{b}可能",
    "排除{b}", "{b}家族史", "{b}筛查", "{b}高危人群筛查", "{b}治疗后随访", "{b}放疗后复查",
)  # fmt: skip
_HEME_NEGATIVES = _t(
    "{b}个人史", "{b}病史", "疑似{b}", "{b}待查", "{b}待排", "{b}可能", "排除{b}",
    "{b}家族史", "{b}治疗后随访", "{b}停药后复查",
)  # fmt: skip
_EVENT_NEGATIVES = _t(
    "{b}个人史", "{b}病史", "疑似{b}", "{b}？", "{b}待排", "{b}可能", "排除{b}", "{b}家族史",
)  # fmt: skip
_DISEASE_NEGATIVES = _t(
    ("疑似{b}", _not_sequela), ("{b}？", _not_sequela), ("{b}待查", _not_sequela),
    ("{b}待排", _not_sequela), ("{b}可能", _not_sequela), ("排除{b}", _not_sequela),
    ("{b}家族史", _not_sequela),
)  # fmt: skip

NEGATIVE_TEMPLATES: dict[str, tuple[Template, ...]] = {
    "cancer": _CANCER_NEGATIVES,
    "skin_cancer": _CANCER_NEGATIVES,
    "thyroid": _CANCER_NEGATIVES,
    "in_situ": _CANCER_NEGATIVES,
    "brain_tumor": _CANCER_NEGATIVES,
    "heme": _HEME_NEGATIVES,
    "mi": _EVENT_NEGATIVES,
    "stroke": _EVENT_NEGATIVES,
    # Status names (transplant, dialysis, burns, amputation, coma) have no natural
    # "suspected" form: a transplant or an amputation is not suspected.
    "transplant": (),
    "amputation": (),
    "burns": (),
    "coma": (),
}
DEFAULT_NEGATIVES = _DISEASE_NEGATIVES

NONE_TEMPLATES: dict[str, tuple[Template, ...]] = {
    "plain": _t("{b}伴{comp}", "{b}（{sev}）", "{b}待查", "{b}复查", "{b}，{comorb}", "疑似{b}"),
    "chronic": _t(
        "{b}（{ctrl}）", "{b}伴{comp}", "{b}，{comorb}", "{b}复查", "{b}（{n_year}年）",
        "{comorb} {b}",
    ),
    "inflam": _t("急性{b}", "慢性{b}", "{b}急性发作", "急性{b}伴{comp}", "慢性{b}急性发作"),
    "side": _t("{side}{b}", "{side3}{b}", "{side}{b}术后", "{side}{b}伴{comp}", "{b}复查"),
    "fracture": _t(
        "{side}{b}", "{b}（闭合性）", "{side}{b}（开放性）", "{side}{b}术后", "{side}{b}内固定术后",
        "{b}（{mech}）", "{side}{b}（{mech}）",
    ),
    "benign": _t("{b}术后", "{b}（{size}cm）", "{b}切除术后", "{b}复查", "{b}待查", "多发{b}"),
    "preg": _t("孕{weeks}周{b}", "{b}（孕{weeks}周）", "G{g}P{p}孕{weeks}周 {b}", "{b}（单胎）"),
    "preg_early": _t("孕{weeks_early}周{b}", "{b}（孕{weeks_early}周）", "{b}（停经{n_day}天）"),
    "status": _t("{b}（{n_year}年）", "{b}复查", "{b}，{comorb}"),
    "injury": _t("{b}（{mech}）", "{side}{b}", "{b}清创缝合术后", "{b}（{sev}）"),
}  # fmt: skip


def _fill(template: str, base: str, rng: random.Random) -> str:
    """Replace `{b}` by the base and every other `{pool}` by a random member of the pool."""
    out = []
    rest = template
    while "{" in rest:
        head, _, tail = rest.partition("{")
        key, _, rest = tail.partition("}")
        out.append(head)
        out.append(base if key == "b" else rng.choice(POOLS[key]))
    out.append(rest)
    return "".join(out)


def _special(base: str, rng: random.Random) -> list[str]:
    """Site-specific forms templates cannot express: lung lobes, thyroid lobes."""
    if base.startswith("肺") and not base.startswith("肺转移"):
        side = rng.choice(("左", "右"))
        lobe = rng.choice(("上叶", "下叶") if side == "左" else POOLS["lung_lobe"])
        return [f"{side}肺{lobe}{base[1:]}"]
    if base.startswith("甲状腺"):
        return [f"甲状腺{rng.choice(POOLS['lobe'])}{base[3:]}"]
    return []


def _variants(base: str, templates: Sequence[Template], count: int, *, bare: bool) -> list[str]:
    """Up to `count` distinct names for one base, deterministic for that base."""
    digest = hashlib.sha256(f"{SEED}:{base}".encode()).digest()
    rng = random.Random(int.from_bytes(digest[:8], "big"))
    candidates = [t for t, applies in templates if applies(base)]
    rng.shuffle(candidates)
    names: list[str] = [base] if bare else []
    specials = _special(base, rng) if bare else []
    for name in specials + [_fill(t, base, rng) for t in candidates]:
        if len(names) >= count:
            break
        if name not in names:
            names.append(name)
    return names


def _family(category: str, base: str, family: str) -> str:
    if category == "malignant_tumor" and any(word in base for word in HEME_WORDS):
        return "heme"
    return family


def _stable_hash(text: str) -> str:
    return hashlib.sha256(f"{SEED}:split:{text}".encode()).hexdigest()


def _assign_splits(strata: dict[str, list[str]]) -> dict[str, Split]:
    """Per stratum, bases ordered by a stable hash: the first 15% go to test, the next 15%
    to validation, the rest to train (at least one base each for test and validation)."""
    splits: dict[str, Split] = {}
    for bases in strata.values():
        ordered = sorted(dict.fromkeys(bases), key=_stable_hash)
        n_hold = max(1, round(len(ordered) * HOLDOUT_SHARE)) if len(ordered) >= 3 else 0
        for i, base in enumerate(ordered):
            if i < n_hold:
                splits[base] = "test"
            elif i < 2 * n_hold:
                splits[base] = "validation"
            else:
                splits[base] = "train"
    return splits


def build() -> list[DatasetRow]:
    """The whole labelled set, deterministic: same code → byte-identical CSV."""
    groups: list[tuple[str, list[tuple[str, str, Kind]]]] = []  # base → (name, label, kind)
    strata: dict[str, list[str]] = {}
    for category, bases in POSITIVE_BASES.items():
        for base, family in bases:
            fam = _family(category, base, family)
            templates = POSITIVE_TEMPLATES[fam]
            rows: list[tuple[str, str, Kind]] = [
                (name, category, "positive")
                for name in _variants(base, templates, POSITIVE_VARIANTS, bare=True)
            ]
            negatives = NEGATIVE_TEMPLATES.get(fam, DEFAULT_NEGATIVES)
            seed = base + "#neg"  # its own random stream, so negatives never copy positives
            rows += [
                (name, NONE, "derived_negative")
                for name in _variants(seed, _rebase(negatives, base), DERIVED_NEGATIVES, bare=False)
            ]
            groups.append((base, rows))
            strata.setdefault(category, []).append(base)
    none_sets: tuple[tuple[str, Kind, tuple[tuple[str, str], ...]], ...] = (
        ("none:hard", "hard_negative", HARD_NEGATIVES),
        ("none:ordinary", "ordinary", ORDINARY),
    )
    for stratum, kind, entries in none_sets:
        for base, family in entries:
            names = _variants(base, NONE_TEMPLATES[family], NONE_VARIANTS, bare=True)
            groups.append((base, [(name, NONE, kind) for name in names]))
            strata.setdefault(stratum, []).append(base)
    splits = _assign_splits(strata)
    seen: set[str] = set()
    out: list[DatasetRow] = []
    for base, rows in groups:
        for name, label, kind in rows:
            key = normalise_name(name)
            if key in seen:  # first occurrence wins, so a name never sits in two splits
                continue
            seen.add(key)
            out.append(DatasetRow(name, label, base, kind, splits[base]))
    return out


def _rebase(templates: Sequence[Template], base: str) -> tuple[Template, ...]:
    """Negative templates bound to the real base (the `#neg` suffix only seeds the rng)."""
    return tuple((t.replace("{b}", base), _always) for t, applies in templates if applies(base))


def to_csv(rows: Iterable[DatasetRow]) -> str:
    """CSV text (UTF-8, `\\n` line ends) of the rows, header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow((row.name, row.label, row.base, row.kind, row.split))
    return buffer.getvalue()


def read_csv(path: str | Path = DATASET_PATH) -> list[DatasetRow]:
    """Rows of a dataset CSV; raises ValueError naming the line of a malformed row."""
    rows: list[DatasetRow] = []
    with Path(path).open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise ValueError(f"{path}: 表头应为 {','.join(COLUMNS)}")
        for line, raw in enumerate(reader, start=2):
            split, kind = raw["split"], raw["kind"]
            if split not in ("train", "validation", "test") or not raw["name"] or not raw["label"]:
                raise ValueError(f"{path} 第 {line} 行：名称、标签或划分无效")
            if kind not in ("positive", "derived_negative", "hard_negative", "ordinary"):
                raise ValueError(f"{path} 第 {line} 行：未知的类型“{kind}”")
            rows.append(DatasetRow(raw["name"], raw["label"], raw["base"], kind, split))  # type: ignore[arg-type]
    return rows


def write(path: str | Path = DATASET_PATH) -> int:
    """Build and write the dataset CSV; returns the number of rows."""
    rows = build()
    Path(path).write_text(to_csv(rows), encoding="utf-8")
    return len(rows)


def main(argv: Sequence[str] | None = None) -> None:
    """CLI: regenerate the committed training set."""
    parser = argparse.ArgumentParser(description="生成诊断名称训练集")
    parser.add_argument("--out", default=str(DATASET_PATH))
    args = parser.parse_args(argv)
    count = write(args.out)
    sys.stdout.write(f"已写入 {count} 行：{args.out}\n")


if __name__ == "__main__":
    main()
