"""Normalisation: full width, traditional → simplified, model numbers, separators."""

import pytest

from gonghui.core.text.normalise import normalise, t2s_table, to_simplified


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ＣＫ－６１５０", "ck6150"),
        ("CK 6150", "ck6150"),
        ("ck6150", "ck6150"),
        ("CK-6150", "ck6150"),
        ("CK – 6150", "ck6150"),
        ("西门子Ｓ７－１２００", "西门子s71200"),
        ("S7-1200 PLC", "s71200 plc"),
        ("FANUC 0i-MF", "fanuc 0imf"),
        ("VMC 850加工中心", "vmc850加工中心"),
        ("ＹＳＭ２０贴片机", "ysm20贴片机"),
    ],
)
def test_model_numbers_become_one_token(raw, expected):
    assert normalise(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("數控車床主軸異響", "数控车床主轴异响"),
        ("鋁合金焊縫氣孔", "铝合金焊缝气孔"),
        ("減速機溫度偏高", "减速机温度偏高"),
        ("車間行車啃軌", "车间行车啃轨"),
        ("简体字不变", "简体字不变"),
    ],
)
def test_traditional_becomes_simplified(raw, expected):
    assert normalise(raw) == expected


def test_full_width_letters_digits_and_punctuation():
    assert normalise("ＰＬＣ（三菱）：ＦＸ３Ｕ！") == "plc 三菱 fx3u"
    assert normalise("精度　０．０２ｍｍ") == "精度 0.02mm"


def test_separators_become_single_spaces_and_digit_ranges_stay_apart():
    assert normalise("  主轴、异响；发热。。 ") == "主轴 异响 发热"
    assert normalise("2019-2021年") == "2019 2021年"
    assert normalise("0.02mm。") == "0.02mm"


@pytest.mark.parametrize("raw", ["ＣＫ－６１５０數控車床，主軸異響！", "S7-1200/1500", "GB/T 2260", "  "])
def test_normalise_is_idempotent(raw):
    once = normalise(raw)
    assert normalise(once) == once


def test_shipped_table_is_loaded_and_chains_resolved():
    table = t2s_table()
    assert len(table) > 4000
    # 薴 → 苧 → 苎 in the source: one translate pass must reach the end of the chain.
    assert to_simplified("薴") == "苎"
    assert not any(ord(simplified) in table for simplified in table.values())
