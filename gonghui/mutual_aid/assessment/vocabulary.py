"""Base diagnosis names for the text model's training set (see `dataset.py`).

Labelling rule: a name gets the category that the ICD-10 code a coder would give the disease
the name says is PRESENT NOW would match in the project catalogue; otherwise `none`. So
`陈旧性心肌梗死` (I25.2) is `none` while `陈旧性脑梗死` (I69.3) is `stroke_sequelae`, a
pituitary adenoma (D35.2) is `none`, and history / follow-up / suspected / screening names
(Z85, Z08, Z03, Z12, R-codes) are `none` — they are built from the positive bases in
`dataset.py`. Each base is (name, family); the family picks realistic modifiers.
"""

from __future__ import annotations

# --- critical-illness categories ---------------------------------------------------------

POSITIVE_BASES: dict[str, tuple[tuple[str, str], ...]] = {
    "malignant_tumor": tuple(
        (name, "cancer")
        for name in (
            "肺癌", "肺腺癌", "肺鳞状细胞癌", "小细胞肺癌", "非小细胞肺癌", "中央型肺癌",
            "周围型肺癌", "支气管肺癌", "肺恶性肿瘤", "胃癌", "胃腺癌", "胃印戒细胞癌",
            "贲门癌", "胃窦癌", "胃恶性肿瘤", "食管癌", "食管鳞状细胞癌", "食管胃结合部腺癌",
            "结肠癌", "升结肠癌", "横结肠癌", "降结肠癌", "乙状结肠癌", "结肠腺癌",
            "结肠恶性肿瘤", "直肠癌", "直肠腺癌", "直肠恶性肿瘤", "肛管癌", "原发性肝癌",
            "肝细胞癌", "肝恶性肿瘤", "肝内胆管细胞癌", "胆管癌", "肝门部胆管癌", "胆囊癌",
            "胰腺癌", "胰头癌", "胰腺导管腺癌", "壶腹周围癌", "十二指肠乳头癌", "小肠腺癌",
            "鼻咽癌", "鼻咽非角化性癌", "喉癌", "声门型喉癌", "下咽癌", "舌癌", "口底癌",
            "牙龈癌", "颊黏膜癌", "扁桃体癌", "腮腺癌", "上颌窦癌", "膀胱癌",
            "膀胱尿路上皮癌", "肾癌", "肾细胞癌", "肾透明细胞癌", "肾盂癌", "输尿管癌",
            "前列腺癌", "前列腺腺癌", "睾丸精原细胞瘤", "阴茎癌", "急性髓系白血病",
            "急性早幼粒细胞白血病", "急性淋巴细胞白血病", "慢性髓系白血病",
            "慢性粒细胞白血病", "慢性淋巴细胞白血病", "弥漫大B细胞淋巴瘤", "霍奇金淋巴瘤",
            "非霍奇金淋巴瘤", "滤泡性淋巴瘤", "套细胞淋巴瘤", "外周T细胞淋巴瘤",
            "结外NK/T细胞淋巴瘤", "恶性淋巴瘤", "多发性骨髓瘤", "骨肉瘤", "尤文肉瘤",
            "软骨肉瘤", "脂肪肉瘤", "横纹肌肉瘤", "滑膜肉瘤", "胶质母细胞瘤",
            "间变性星形细胞瘤", "恶性胶质瘤", "髓母细胞瘤", "恶性黑色素瘤",
            "皮肤恶性黑色素瘤", "脉络膜黑色素瘤", "恶性胸膜间皮瘤", "胸腺癌",
            "纵隔恶性肿瘤", "神经内分泌癌", "腹膜后恶性肿瘤", "骨继发恶性肿瘤",
            "肝继发恶性肿瘤", "脑继发恶性肿瘤", "肺转移癌", "骨转移癌", "肾上腺皮质癌",
            "视网膜母细胞瘤", "神经母细胞瘤", "肝母细胞瘤", "胆管细胞癌",
        )
    ),
    "female_cancer": tuple(
        (name, "cancer")
        for name in (
            "乳腺癌", "乳腺浸润性导管癌", "乳腺浸润性小叶癌", "三阴性乳腺癌", "乳腺黏液癌",
            "乳腺恶性肿瘤", "HER2阳性乳腺癌", "宫颈癌", "宫颈鳞状细胞癌", "宫颈腺癌",
            "宫颈恶性肿瘤", "子宫颈癌", "子宫内膜癌", "子宫内膜样腺癌", "子宫恶性肿瘤",
            "子宫肉瘤", "子宫平滑肌肉瘤", "子宫内膜间质肉瘤", "卵巢癌", "卵巢浆液性癌",
            "卵巢高级别浆液性癌", "卵巢透明细胞癌", "卵巢黏液性癌", "卵巢恶性肿瘤",
            "输卵管癌", "外阴癌", "外阴鳞状细胞癌", "阴道癌", "绒毛膜癌",
        )
    ),
    "mild_malignant_tumor": tuple(
        (name, "skin_cancer")
        for name in (
            "皮肤基底细胞癌", "基底细胞癌", "皮肤鳞状细胞癌", "皮肤鳞癌", "皮肤恶性肿瘤",
            "皮脂腺癌", "汗腺癌", "基底细胞上皮瘤", "皮肤附属器癌",
        )
    ),
    "thyroid_cancer": tuple(
        (name, "thyroid")
        for name in (
            "甲状腺乳头状癌", "甲状腺微小乳头状癌", "甲状腺滤泡状癌", "甲状腺癌",
            "甲状腺恶性肿瘤", "甲状腺髓样癌", "甲状腺未分化癌", "甲状腺乳头状腺癌",
        )
    ),
    "in_situ": tuple(
        (name, "in_situ")
        for name in (
            "宫颈原位癌", "宫颈上皮内瘤变Ⅲ级", "乳腺导管原位癌", "乳腺小叶原位癌",
            "胃高级别上皮内瘤变", "食管高级别上皮内瘤变", "结肠原位癌", "直肠原位癌",
            "膀胱原位癌", "皮肤原位癌", "鲍温病", "原位黑色素瘤", "肺原位腺癌",
            "支气管原位癌", "喉原位癌", "外阴上皮内瘤变Ⅲ级", "阴道上皮内瘤变Ⅲ级",
            "口腔原位癌",
        )
    ),
    "acute_mi": tuple(
        (name, "mi")
        for name in (
            "急性心肌梗死", "急性ST段抬高型心肌梗死", "急性非ST段抬高型心肌梗死",
            "急性前壁心肌梗死", "急性下壁心肌梗死", "急性广泛前壁心肌梗死",
            "急性前间壁心肌梗死", "急性侧壁心肌梗死", "急性下后壁心肌梗死",
            "急性右心室心肌梗死", "急性心内膜下心肌梗死", "再发心肌梗死", "急性再发心肌梗死",
            "急性透壁性心肌梗死", "急性高侧壁心肌梗死", "急性前壁ST段抬高型心肌梗死",
            "急性下壁ST段抬高型心肌梗死", "急性STEMI", "急性NSTEMI", "急性心肌梗死（AMI）",
        )
    ),
    "stroke_sequelae": tuple(
        (name, "stroke")
        for name in (
            "脑梗死", "急性脑梗死", "多发性脑梗死", "腔隙性脑梗死", "大面积脑梗死",
            "脑干梗死", "小脑梗死", "分水岭脑梗死", "心源性脑栓塞", "脑栓塞", "脑血栓形成",
            "缺血性脑卒中", "急性缺血性脑卒中", "脑出血", "高血压性脑出血", "基底节区脑出血",
            "丘脑出血", "小脑出血", "脑叶出血", "脑干出血", "脑室出血", "蛛网膜下腔出血",
            "自发性蛛网膜下腔出血", "动脉瘤性蛛网膜下腔出血", "出血性脑卒中", "脑卒中",
            "脑梗死后遗症", "脑出血后遗症", "脑卒中后遗症", "蛛网膜下腔出血后遗症",
            "陈旧性脑梗死",
        )
    ),
    "organ_transplant": tuple(
        (name, "transplant")
        for name in (
            "肾移植状态", "肾移植术后", "同种异体肾移植术后", "肝移植术后", "肝移植状态",
            "心脏移植术后", "肺移植术后", "造血干细胞移植状态", "异基因造血干细胞移植术后",
            "骨髓移植状态", "胰肾联合移植术后", "小肠移植术后", "心肺联合移植术后",
        )
    ),
    "ckd_end_stage": tuple(
        (name, "ckd")
        for name in (
            "慢性肾脏病5期", "慢性肾功能衰竭尿毒症期", "尿毒症", "终末期肾病", "终末期肾脏病",
            "维持性血液透析状态", "维持性血液透析", "血液透析状态", "腹膜透析状态",
            "维持性腹膜透析", "慢性肾衰竭（尿毒症期）", "尿毒症期肾病", "慢性肾病5期",
            "CKD 5期", "慢性肾脏病5期（CKD5D）", "终末期肾病（ESRD）",
        )
    ),
    "multiple_limb_loss": tuple(
        (name, "amputation")
        for name in (
            "创伤性肩和上臂离断", "创伤性前臂离断", "创伤性大腿离断", "创伤性小腿离断",
            "多个肢体创伤性离断", "双下肢创伤性离断", "双上肢创伤性离断",
            "创伤性髋关节离断", "上臂离断伤", "前臂离断伤", "小腿离断伤", "大腿离断伤",
            "创伤性膝关节离断",
        )
    ),
    "fulminant_hepatitis": tuple(
        (name, "hepatitis")
        for name in (
            "急性重型肝炎", "亚急性重型肝炎", "急性重症肝炎", "急性肝衰竭", "亚急性肝衰竭",
            "暴发性肝炎", "暴发性肝衰竭", "急性乙型肝炎伴肝昏迷", "甲型病毒性肝炎伴肝昏迷",
            "病毒性肝炎伴肝昏迷",
        )
    ),
    "benign_brain_tumor": tuple(
        (name, "brain_tumor")
        for name in (
            "脑膜瘤", "颅内脑膜瘤", "大脑凸面脑膜瘤", "蝶骨嵴脑膜瘤", "矢状窦旁脑膜瘤",
            "镰旁脑膜瘤", "嗅沟脑膜瘤", "桥小脑角脑膜瘤", "听神经瘤", "前庭神经鞘瘤",
            "三叉神经鞘瘤", "颅咽管瘤", "松果体瘤", "脉络丛乳头状瘤", "小脑血管母细胞瘤",
            "颅内神经鞘瘤", "颅内良性肿瘤", "脑良性肿瘤",
        )
    ),
    "chronic_liver_failure": tuple(
        (name, "cirrhosis")
        for name in (
            "慢性肝衰竭", "慢加急性肝衰竭", "酒精性肝衰竭", "肝硬化", "肝硬化失代偿期",
            "乙型肝炎肝硬化", "乙型肝炎后肝硬化失代偿期", "丙型肝炎肝硬化", "肝炎后肝硬化",
            "隐源性肝硬化", "酒精性肝硬化", "门脉性肝硬化", "坏死后性肝硬化",
            "慢性肝功能衰竭",
        )
    ),
    "encephalitis_sequelae": tuple(
        (name, "encephalitis")
        for name in (
            "病毒性脑炎", "化脓性脑膜炎", "细菌性脑膜炎", "结核性脑膜炎", "病毒性脑膜炎",
            "病毒性脑膜脑炎", "自身免疫性脑炎", "抗NMDA受体脑炎", "单纯疱疹病毒性脑炎",
            "流行性乙型脑炎", "流行性脑脊髓膜炎", "急性播散性脑脊髓炎", "脑炎后遗症",
            "脑膜炎后遗症", "病毒性脑炎后遗症", "化脓性脑膜炎后遗症", "脑膜脑炎",
        )
    ),
    "deep_coma": tuple(
        (name, "coma")
        for name in ("昏迷", "深昏迷", "深度昏迷", "中度昏迷", "浅昏迷", "昏迷状态", "持续昏迷")
    ),
    "deafness": tuple(
        (name, "deafness")
        for name in (
            "双耳感音神经性聋", "双侧感音神经性耳聋", "双耳极重度感音神经性聋",
            "双侧极重度感音神经性聋", "双耳传导性聋", "双侧传导性耳聋", "双耳混合性聋",
            "双侧混合性耳聋", "双耳重度感音神经性聋", "双耳神经性耳聋", "双耳全聋",
        )
    ),
    "blindness": tuple(
        (name, "blindness")
        for name in (
            "双眼盲", "双目失明", "双眼失明", "双眼视力丧失", "双眼盲目", "双眼无光感",
            "双眼全盲",
        )
    ),
    "paralysis": tuple(
        (name, "paralysis")
        for name in (
            "偏瘫", "截瘫", "四肢瘫", "单肢瘫", "完全性截瘫", "不完全性截瘫", "痉挛性偏瘫",
            "弛缓性偏瘫", "痉挛性截瘫", "高位截瘫", "双下肢瘫痪", "四肢瘫痪", "偏身瘫痪",
        )
    ),
    "alzheimer": tuple(
        (name, "dementia")
        for name in (
            "阿尔茨海默病", "阿尔茨海默病性痴呆", "早发型阿尔茨海默病", "晚发型阿尔茨海默病",
            "阿尔茨海默型痴呆", "老年期阿尔茨海默病",
        )
    ),
    "brain_injury": tuple(
        (name, "brain_injury")
        for name in (
            "颅脑损伤", "重型颅脑损伤", "中型颅脑损伤", "脑挫裂伤", "脑挫伤",
            "创伤性硬膜下血肿", "急性硬膜下血肿", "外伤性硬膜下血肿", "硬膜外血肿",
            "急性硬膜外血肿", "创伤性蛛网膜下腔出血", "外伤性蛛网膜下腔出血",
            "弥漫性轴索损伤", "脑震荡", "外伤性颅内出血", "创伤性脑出血", "开放性颅脑损伤",
            "脑干损伤",
        )
    ),
    "parkinson": tuple(
        (name, "parkinson")
        for name in ("帕金森病", "原发性帕金森病", "震颤麻痹", "早发型帕金森病", "特发性帕金森病")
    ),
    "severe_burns": tuple(
        (name, "burns")
        for name in (
            "特重度烧伤", "重度烧伤", "大面积烧伤", "大面积深度烧伤", "全身多处Ⅲ度烧伤",
            "全身多处深Ⅱ-Ⅲ度烧伤", "全身多处火焰烧伤", "大面积热液烫伤", "大面积化学烧伤",
            "大面积电烧伤", "躯干及四肢Ⅲ度烧伤",
        )
    ),
    "pulmonary_hypertension": tuple(
        (name, "pah")
        for name in (
            "特发性肺动脉高压", "原发性肺动脉高压", "遗传性肺动脉高压",
            "特发性动脉性肺动脉高压", "原发性肺高压",
        )
    ),
    "motor_neuron_disease": tuple(
        (name, "mnd")
        for name in (
            "运动神经元病", "肌萎缩侧索硬化", "肌萎缩侧索硬化症", "进行性延髓麻痹",
            "原发性侧索硬化", "进行性肌萎缩", "渐冻症",
            "肌萎缩侧索硬化（ALS）",
        )
    ),
    "aphasia": tuple(
        (name, "aphasia")
        for name in (
            "失语", "失语症", "运动性失语", "感觉性失语", "混合性失语", "完全性失语",
            "传导性失语", "命名性失语", "失音", "完全性失音",
        )
    ),
    "aplastic_anemia": tuple(
        (name, "aplastic")
        for name in (
            "再生障碍性贫血", "重型再生障碍性贫血", "极重型再生障碍性贫血",
            "非重型再生障碍性贫血", "慢性再生障碍性贫血", "获得性再生障碍性贫血",
            "特发性再生障碍性贫血", "先天性再生障碍性贫血", "药物性再生障碍性贫血",
        )
    ),
    "chronic_respiratory_failure": tuple(
        (name, "resp_failure")
        for name in (
            "慢性呼吸衰竭", "慢性Ⅱ型呼吸衰竭", "Ⅱ型呼吸衰竭（慢性）", "慢性Ⅰ型呼吸衰竭",
            "慢性呼吸功能衰竭", "慢性高碳酸血症型呼吸衰竭",
        )
    ),
    "crohn": tuple(
        (name, "ibd")
        for name in (
            "克罗恩病", "Crohn病", "回肠克罗恩病", "结肠克罗恩病", "回结肠克罗恩病",
            "小肠克罗恩病", "局限性回肠炎", "肉芽肿性结肠炎", "节段性肠炎",
        )
    ),
    "ulcerative_colitis": tuple(
        (name, "ibd")
        for name in (
            "溃疡性结肠炎", "溃疡性直肠炎", "溃疡性全结肠炎", "左半结肠型溃疡性结肠炎",
            "广泛结肠型溃疡性结肠炎", "慢性复发型溃疡性结肠炎", "溃疡性直肠乙状结肠炎",
            "重度溃疡性结肠炎", "非特异性溃疡性结肠炎",
        )
    ),
}  # fmt: skip

# --- hard negatives: look like a category, are not one by the catalogue -----------------

HARD_NEGATIVES: tuple[tuple[str, str], ...] = (
    # heart: no infarction now
    ("冠状动脉粥样硬化性心脏病", "chronic"), ("冠心病", "chronic"),
    ("不稳定型心绞痛", "chronic"), ("冠心病 不稳定型心绞痛", "chronic"),
    ("稳定型心绞痛", "chronic"), ("劳力性心绞痛", "chronic"), ("变异型心绞痛", "chronic"),
    ("陈旧性心肌梗死", "chronic"), ("陈旧性下壁心肌梗死", "chronic"),
    ("急性冠脉综合征", "plain"), ("心肌缺血", "chronic"), ("缺血性心肌病", "chronic"),
    ("冠状动脉支架植入术后状态", "status"), ("冠状动脉搭桥术后", "status"),
    ("心脏瓣膜置换术后", "status"), ("二尖瓣关闭不全", "chronic"),
    ("主动脉瓣狭窄", "chronic"), ("主动脉夹层", "plain"), ("腹主动脉瘤", "plain"),
    # brain: no stroke, no intracranial tumour by the catalogue
    ("短暂性脑缺血发作", "plain"), ("脑供血不足", "chronic"), ("椎基底动脉供血不足", "chronic"),
    ("脑动脉硬化", "chronic"), ("颈动脉狭窄", "side"), ("颈动脉斑块", "side"),
    ("脑白质病变", "chronic"), ("脑萎缩", "chronic"), ("颅内动脉瘤", "plain"),
    ("脑动静脉畸形", "plain"), ("颅内海绵状血管瘤", "plain"), ("蛛网膜囊肿", "plain"),
    ("垂体腺瘤", "benign"), ("垂体微腺瘤", "benign"), ("泌乳素瘤", "benign"),
    ("脊膜瘤", "benign"), ("椎管内神经鞘瘤", "benign"), ("血管性痴呆", "chronic"),
    ("认知功能障碍", "chronic"), ("轻度认知障碍", "chronic"), ("额颞叶痴呆", "chronic"),
    ("路易体痴呆", "chronic"), ("继发性帕金森综合征", "chronic"),
    ("药物性帕金森综合征", "chronic"), ("血管性帕金森综合征", "chronic"),
    ("特发性震颤", "chronic"), ("多系统萎缩", "chronic"), ("重症肌无力", "chronic"),
    ("眼肌型重症肌无力", "chronic"), ("进行性肌营养不良", "chronic"), ("多发性硬化", "chronic"),
    ("吉兰-巴雷综合征", "plain"), ("面瘫", "side"), ("周围性面瘫", "side"),
    ("特发性面神经麻痹", "side"), ("低钾性周期性麻痹", "plain"), ("肢体无力", "plain"),
    ("声带麻痹", "side"), ("动眼神经麻痹", "side"), ("小儿麻痹后遗症", "status"),
    ("构音障碍", "plain"), ("声音嘶哑", "plain"), ("口吃", "plain"),
    ("语言发育迟缓", "plain"), ("吞咽困难", "plain"), ("晕厥", "plain"), ("嗜睡", "plain"),
    ("一过性意识丧失", "plain"), ("谵妄", "plain"), ("低血糖昏迷", "plain"),
    ("糖尿病高渗性昏迷", "plain"), ("头皮血肿", "injury"), ("头皮裂伤", "injury"),
    ("头部外伤", "injury"), ("颅骨骨折", "injury"), ("面部挫裂伤", "injury"),
    # cancer look-alikes
    ("甲状腺结节", "benign"), ("甲状腺结节（TI-RADS 3类）", "benign"),
    ("结节性甲状腺肿", "benign"), ("甲状腺腺瘤", "benign"), ("甲状腺囊肿", "benign"),
    ("桥本甲状腺炎", "chronic"), ("肺结节", "benign"), ("肺磨玻璃结节", "benign"),
    ("肺良性肿瘤", "benign"), ("肝良性肿瘤", "benign"), ("肾良性肿瘤", "benign"),
    ("卵巢良性肿瘤", "benign"), ("腮腺多形性腺瘤", "benign"), ("乳腺纤维腺瘤", "benign"),
    ("乳腺导管内乳头状瘤", "benign"), ("乳腺增生", "chronic"), ("乳腺囊性增生病", "chronic"),
    ("乳腺结节（BI-RADS 3类）", "benign"), ("子宫平滑肌瘤", "benign"),
    ("结肠腺瘤", "benign"), ("胃低级别上皮内瘤变", "plain"),
    ("宫颈上皮内瘤变Ⅰ级", "plain"), ("宫颈上皮内瘤变Ⅱ级", "plain"),
    ("宫颈低级别鳞状上皮内病变", "plain"), ("高危型HPV感染", "plain"),
    ("日光性角化病", "plain"), ("脂溢性角化病", "plain"), ("色素痣", "plain"),
    ("恶性肿瘤个人史", "status"), ("恶性肿瘤术后复查", "status"), ("肿瘤化疗后复查", "status"),
    ("恶性肿瘤家族史", "status"), ("肿瘤标志物升高", "plain"), ("癌胚抗原升高", "plain"),
    ("肺占位性病变", "plain"), ("肝占位性病变", "plain"), ("肾占位性病变", "plain"),
    ("颅内占位性病变", "plain"), ("纵隔占位", "plain"), ("乳腺肿物", "side"),
    ("甲状腺肿物", "plain"), ("盆腔包块", "plain"), ("卵巢肿物", "side"),
    ("淋巴结肿大", "plain"), ("骨髓增生异常综合征", "chronic"),
    ("纯红细胞再生障碍性贫血", "chronic"), ("缺铁性贫血", "chronic"),
    ("巨幼细胞性贫血", "chronic"), ("地中海贫血", "chronic"), ("肾性贫血", "chronic"),
    ("溶血性贫血", "chronic"), ("白细胞减少症", "chronic"), ("免疫性血小板减少症", "chronic"),
    # kidney, liver, lung, bowel: not end stage / not the catalogue's code
    ("慢性肾脏病3期", "chronic"), ("慢性肾脏病4期", "chronic"), ("慢性肾脏病2期", "chronic"),
    ("慢性肾功能不全（代偿期）", "chronic"),
    ("慢性肾病3期", "chronic"), ("慢性肾病4期", "chronic"), ("慢性肾脏病3b期", "chronic"),
    ("CKD 3期", "chronic"), ("CKD 4期", "chronic"), ("慢性肾功能不全", "chronic"),
    ("肾功能不全", "chronic"), ("急性肾损伤", "plain"), ("肾囊肿", "side"),
    ("多囊肾", "chronic"), ("糖尿病肾病", "chronic"), ("高血压肾病", "chronic"),
    ("IgA肾病", "chronic"), ("肾病综合征", "chronic"), ("慢性肾小球肾炎", "chronic"),
    ("慢性乙型病毒性肝炎", "chronic"), ("乙型肝炎病毒携带者", "status"),
    ("急性甲型肝炎", "plain"), ("药物性肝损伤", "plain"), ("自身免疫性肝炎", "chronic"),
    ("肝纤维化", "chronic"), ("原发性胆汁性胆管炎", "chronic"), ("脂肪肝", "chronic"),
    ("酒精性肝病", "chronic"), ("肝功能异常", "plain"), ("急性呼吸衰竭", "plain"),
    ("急性Ⅰ型呼吸衰竭", "plain"), ("慢性阻塞性肺疾病", "chronic"),
    ("慢性阻塞性肺疾病急性加重", "plain"), ("肺气肿", "chronic"), ("特发性肺纤维化", "chronic"),
    ("肺动脉高压", "chronic"), ("继发性肺动脉高压", "chronic"),
    ("慢性血栓栓塞性肺动脉高压", "chronic"), ("慢性肺源性心脏病", "chronic"),
    ("肠易激综合征", "chronic"), ("肠结核", "plain"), ("缺血性结肠炎", "plain"),
    ("慢性结肠炎", "chronic"), ("放射性直肠炎", "plain"), ("伪膜性肠炎", "plain"),
    ("结肠黑变病", "plain"),
    # senses, limbs, skin
    ("左眼失明", "plain"), ("右眼盲", "plain"), ("单眼盲", "plain"), ("双眼低视力", "plain"),
    ("低视力", "plain"), ("左耳感音神经性聋", "plain"), ("右侧感音神经性耳聋", "plain"),
    ("单侧耳聋", "plain"), ("突发性耳聋", "side"), ("老年性聋", "chronic"),
    ("手指离断伤", "injury"), ("足趾离断伤", "injury"), ("断指再植术后", "status"),
    ("截肢术后状态", "status"), ("角膜移植状态", "status"), ("角膜移植术后", "status"),
    ("皮肤移植术后", "status"), ("自体骨移植术后", "status"), ("自体脂肪移植术后", "status"),
    ("手部烫伤", "injury"), ("足部烫伤", "injury"),
    ("面部Ⅰ度烧伤", "injury"), ("下肢浅Ⅱ度烫伤", "injury"), ("前臂深Ⅱ度烧伤", "injury"),
    ("烧伤（体表面积小于10%）", "injury"), ("化学性眼烧伤", "injury"), ("电击伤", "injury"),
    ("晒伤", "plain"), ("冻伤", "injury"),
)  # fmt: skip

# --- ordinary diagnoses (all `none`) -------------------------------------------------------

ORDINARY: tuple[tuple[str, str], ...] = (
    # respiratory
    ("社区获得性肺炎", "plain"), ("肺炎", "plain"), ("支气管肺炎", "plain"),
    ("大叶性肺炎", "plain"), ("吸入性肺炎", "plain"), ("肺部感染", "plain"),
    ("急性上呼吸道感染", "plain"), ("支气管炎", "inflam"), ("支气管哮喘", "chronic"),
    ("咳嗽变异性哮喘", "chronic"), ("咽炎", "inflam"), ("扁桃体炎", "inflam"),
    ("扁桃体肥大", "plain"), ("流行性感冒", "plain"), ("肺大疱", "side"), ("自发性气胸", "side"),
    ("胸腔积液", "side"), ("继发性肺结核", "plain"), ("支气管扩张伴感染", "plain"),
    ("过敏性鼻炎", "chronic"), ("鼻窦炎", "inflam"), ("鼻中隔偏曲", "plain"),
    ("鼻息肉", "plain"), ("腺样体肥大", "plain"), ("新型冠状病毒感染", "plain"),
    ("间质性肺病", "chronic"), ("矽肺", "chronic"), ("阻塞性睡眠呼吸暂停低通气综合征", "chronic"),
    # circulatory
    ("高血压病", "chronic"), ("原发性高血压", "chronic"), ("高血压病2级", "chronic"),
    ("高血压病3级（极高危）", "chronic"), ("心房颤动", "chronic"), ("阵发性心房颤动", "chronic"),
    ("心房扑动", "plain"), ("阵发性室上性心动过速", "plain"), ("室性早搏", "plain"),
    ("房性早搏", "plain"), ("窦性心动过缓", "plain"), ("病态窦房结综合征", "plain"),
    ("三度房室传导阻滞", "plain"), ("完全性右束支传导阻滞", "plain"),
    ("慢性心力衰竭", "chronic"), ("心功能不全", "chronic"), ("扩张型心肌病", "chronic"),
    ("肥厚型心肌病", "chronic"), ("病毒性心肌炎", "plain"), ("心包积液", "plain"),
    ("风湿性心脏病", "chronic"), ("房间隔缺损", "plain"), ("室间隔缺损", "plain"),
    ("下肢深静脉血栓形成", "side"), ("下肢静脉曲张", "side"), ("大隐静脉曲张", "side"),
    ("下肢动脉硬化闭塞症", "side"), ("肺栓塞", "plain"), ("低血压", "plain"),
    ("体位性低血压", "plain"), ("起搏器植入术后", "status"), ("高脂血症", "chronic"),
    ("高甘油三酯血症", "chronic"), ("混合型高脂血症", "chronic"), ("高胆固醇血症", "chronic"),
    # nervous system and mind
    ("头晕", "plain"), ("眩晕", "plain"), ("良性阵发性位置性眩晕", "plain"),
    ("前庭神经炎", "plain"), ("偏头痛", "chronic"), ("紧张型头痛", "chronic"), ("癫痫", "chronic"),
    ("症状性癫痫", "chronic"), ("三叉神经痛", "side"), ("面神经炎", "side"),
    ("坐骨神经痛", "side"), ("周围神经病", "chronic"), ("糖尿病周围神经病变", "chronic"),
    ("失眠", "chronic"), ("睡眠障碍", "chronic"), ("焦虑症", "chronic"), ("抑郁症", "chronic"),
    ("焦虑抑郁状态", "chronic"), ("精神分裂症", "chronic"), ("双相情感障碍", "chronic"),
    ("神经根型颈椎病", "chronic"), ("脊髓型颈椎病", "chronic"), ("颈椎病", "chronic"),
    ("不宁腿综合征", "chronic"), ("腕管综合征", "side"),
    # digestive
    ("阑尾炎", "inflam"), ("急性化脓性阑尾炎", "plain"), ("阑尾周围脓肿", "plain"),
    ("胆囊炎", "inflam"), ("胆囊结石", "plain"), ("胆囊结石伴慢性胆囊炎", "plain"),
    ("胆总管结石", "plain"), ("胆囊息肉", "benign"), ("胰腺炎", "inflam"),
    ("胃炎", "inflam"), ("慢性浅表性胃炎", "chronic"), ("慢性萎缩性胃炎", "chronic"),
    ("糜烂性胃炎", "chronic"), ("胃食管反流病", "chronic"), ("反流性食管炎", "chronic"),
    ("胃溃疡", "plain"), ("十二指肠球部溃疡", "plain"), ("消化性溃疡伴出血", "plain"),
    ("上消化道出血", "plain"), ("幽门螺杆菌感染", "plain"), ("功能性消化不良", "chronic"),
    ("胃肠炎", "inflam"), ("感染性腹泻", "plain"), ("便秘", "chronic"),
    ("不完全性肠梗阻", "plain"), ("粘连性肠梗阻", "plain"), ("结肠息肉", "benign"),
    ("直肠息肉", "benign"), ("结肠多发息肉", "benign"), ("腹股沟斜疝", "side"),
    ("腹股沟直疝", "side"), ("脐疝", "plain"), ("切口疝", "plain"), ("混合痔", "plain"),
    ("内痔", "plain"), ("肛瘘", "plain"), ("肛裂", "plain"), ("肛周脓肿", "plain"),
    ("非酒精性脂肪性肝病", "chronic"), ("慢性丙型病毒性肝炎", "chronic"), ("肝血管瘤", "benign"),
    ("肝囊肿", "benign"), ("胆汁淤积", "plain"), ("食管裂孔疝", "plain"), ("胃息肉", "benign"),
    ("直肠炎", "plain"), ("口腔溃疡", "plain"), ("牙周炎", "chronic"), ("龋齿", "plain"),
    ("智齿冠周炎", "plain"), ("阻生齿", "plain"), ("腹痛", "plain"),
    # endocrine and metabolic
    ("2型糖尿病", "chronic"), ("1型糖尿病", "chronic"), ("2型糖尿病伴血糖控制不佳", "chronic"),
    ("糖尿病视网膜病变", "chronic"), ("糖尿病足", "side"), ("糖尿病酮症酸中毒", "plain"),
    ("妊娠期糖尿病", "preg"), ("糖耐量异常", "chronic"), ("甲状腺功能亢进症", "chronic"),
    ("Graves病", "chronic"), ("甲状腺功能减退症", "chronic"), ("亚急性甲状腺炎", "plain"),
    ("高尿酸血症", "chronic"), ("痛风", "chronic"), ("痛风性关节炎", "side"),
    ("骨质疏松症", "chronic"), ("肥胖症", "chronic"), ("低钾血症", "plain"), ("低钠血症", "plain"),
    ("电解质紊乱", "plain"), ("维生素D缺乏", "plain"), ("肾上腺腺瘤", "benign"),
    ("原发性醛固酮增多症", "chronic"), ("高催乳素血症", "chronic"),
    # kidney and urinary
    ("肾结石", "side"), ("输尿管结石", "side"), ("膀胱结石", "plain"), ("肾积水", "side"),
    ("单纯性肾囊肿", "side"), ("泌尿道感染", "plain"), ("膀胱炎", "inflam"),
    ("肾盂肾炎", "inflam"), ("良性前列腺增生", "chronic"), ("前列腺增生", "chronic"),
    ("前列腺炎", "inflam"), ("睾丸鞘膜积液", "side"), ("精索静脉曲张", "side"),
    ("包皮过长", "plain"), ("蛋白尿", "plain"), ("血尿", "plain"), ("尿路结石", "plain"),
    ("肾错构瘤", "benign"), ("肾血管平滑肌脂肪瘤", "benign"), ("膀胱过度活动症", "chronic"),
    ("压力性尿失禁", "chronic"),
    # women, pregnancy and birth
    ("子宫肌瘤", "benign"), ("多发性子宫肌瘤", "benign"), ("子宫腺肌病", "chronic"),
    ("子宫内膜异位症", "chronic"), ("卵巢囊肿", "side"), ("卵巢巧克力囊肿", "side"),
    ("卵巢成熟性畸胎瘤", "side"), ("多囊卵巢综合征", "chronic"), ("子宫内膜息肉", "benign"),
    ("子宫内膜增生", "plain"), ("宫颈炎", "inflam"), ("宫颈息肉", "benign"),
    ("宫颈柱状上皮异位", "plain"), ("盆腔炎", "inflam"), ("阴道炎", "inflam"),
    ("细菌性阴道病", "plain"), ("前庭大腺囊肿", "side"), ("异常子宫出血", "plain"),
    ("月经失调", "plain"), ("绝经综合征", "chronic"), ("不孕症", "plain"),
    ("乳腺炎", "inflam"), ("副乳腺", "side"), ("乳腺囊肿", "side"), ("单胎顺产", "preg"),
    ("剖宫产", "preg"), ("足月妊娠", "preg"), ("先兆流产", "preg_early"),
    ("稽留流产", "preg_early"),
    ("早期妊娠", "preg_early"), ("异位妊娠", "preg_early"), ("输卵管妊娠", "preg_early"),
    ("妊娠期高血压", "preg"), ("子痫前期", "preg"), ("胎膜早破", "preg"), ("前置胎盘", "preg"),
    ("妊娠剧吐", "preg"), ("产后出血", "preg"), ("瘢痕子宫", "preg"), ("胎儿窘迫", "preg"),
    ("臀位", "preg"), ("羊水过少", "preg"), ("妊娠合并贫血", "preg"), ("葡萄胎", "plain"),
    # musculoskeletal and injuries
    ("股骨颈骨折", "fracture"), ("股骨粗隆间骨折", "fracture"), ("桡骨远端骨折", "fracture"),
    ("尺骨鹰嘴骨折", "fracture"), ("肱骨外科颈骨折", "fracture"), ("锁骨骨折", "fracture"),
    ("肋骨骨折", "fracture"), ("踝关节骨折", "fracture"), ("胫腓骨骨折", "fracture"),
    ("髌骨骨折", "fracture"), ("跟骨骨折", "fracture"), ("腰椎压缩性骨折", "fracture"),
    ("胸椎压缩性骨折", "fracture"), ("掌骨骨折", "fracture"), ("指骨骨折", "fracture"),
    ("鼻骨骨折", "injury"), ("颧骨骨折", "fracture"), ("下颌骨骨折", "fracture"),
    ("腰椎间盘突出症", "chronic"), ("颈椎间盘突出症", "chronic"), ("腰椎管狭窄症", "chronic"),
    ("腰椎滑脱", "chronic"), ("腰肌劳损", "chronic"), ("膝骨关节炎", "side"),
    ("膝关节骨性关节炎", "side"), ("膝关节半月板损伤", "side"), ("前交叉韧带断裂", "side"),
    ("肩周炎", "side"), ("肩袖损伤", "side"), ("肱骨外上髁炎", "side"), ("腱鞘炎", "side"),
    ("类风湿关节炎", "chronic"), ("强直性脊柱炎", "chronic"), ("跟腱断裂", "side"),
    ("股骨头坏死", "side"), ("脊柱侧弯", "plain"), ("骨折术后内固定物取出", "status"),
    ("踝关节扭伤", "side"), ("膝关节扭伤", "side"), ("软组织损伤", "injury"),
    ("骨软骨瘤", "benign"), ("腱鞘囊肿", "side"), ("腘窝囊肿", "side"), ("滑膜炎", "side"),
    ("多发伤", "injury"), ("犬咬伤", "injury"), ("闭合性胸部损伤", "injury"),
    # skin, eye, ear
    ("带状疱疹", "plain"), ("湿疹", "chronic"), ("荨麻疹", "inflam"), ("银屑病", "chronic"),
    ("痤疮", "plain"), ("皮脂腺囊肿", "benign"), ("脂肪瘤", "benign"),
    ("皮肤软组织感染", "plain"), ("蜂窝织炎", "plain"), ("甲沟炎", "plain"),
    ("瘢痕疙瘩", "plain"), ("白内障", "side"), ("年龄相关性白内障", "side"),
    ("老年性白内障", "side"), ("原发性开角型青光眼", "side"), ("急性闭角型青光眼", "side"),
    ("孔源性视网膜脱离", "side"), ("年龄相关性黄斑变性", "side"), ("黄斑裂孔", "side"),
    ("屈光不正", "plain"), ("高度近视", "plain"), ("弱视", "plain"), ("斜视", "plain"),
    ("干眼症", "chronic"), ("结膜炎", "inflam"), ("翼状胬肉", "side"), ("睑板腺囊肿", "side"),
    ("视神经炎", "side"), ("中耳炎", "inflam"), ("分泌性中耳炎", "side"),
    ("慢性化脓性中耳炎", "side"), ("耳鸣", "plain"), ("梅尼埃病", "chronic"),
    ("外耳道炎", "side"), ("耵聍栓塞", "side"), ("声带息肉", "benign"), ("声带小结", "plain"),
    ("喉炎", "inflam"), ("鼻出血", "plain"),
    # infections, blood and other
    ("手足口病", "plain"), ("水痘", "plain"), ("流行性腮腺炎", "plain"), ("发热", "plain"),
    ("脓毒症", "plain"), ("败血症", "plain"), ("过敏性紫癜", "plain"), ("淋巴结炎", "plain"),
    ("脾大", "plain"), ("血小板减少症", "chronic"), ("慢性病贫血", "chronic"),
    ("健康查体", "status"), ("药物过敏", "plain"), ("酒精中毒", "plain"),
    ("一氧化碳中毒", "plain"), ("食物中毒", "plain"), ("中暑", "plain"),
    # abbreviations seen in hospital exports
    ("TIA", "plain"), ("COPD", "chronic"), ("BPH", "chronic"), ("OSAHS", "chronic"),
    ("2型糖尿病（T2DM）", "chronic"), ("GERD", "chronic"), ("URTI", "plain"),
    ("冠心病（CHD）", "chronic"), ("DVT", "side"), ("CAP", "plain"),
)  # fmt: skip
