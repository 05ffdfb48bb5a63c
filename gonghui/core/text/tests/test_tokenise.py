"""Token views: jieba words with the industrial dictionary, character bigrams."""

import jieba

from gonghui.core.text.tokenise import analyse, bigrams, jieba_tokenizer, stopwords, words


def test_domain_terms_stay_whole():
    tokens = words("数控机床的伺服电机抖动，焊接变形严重，注塑件有缩痕")
    for term in ("数控机床", "伺服电机", "焊接变形", "注塑", "缩痕"):
        assert term in tokens


def test_search_mode_also_yields_sub_words():
    tokens = words("数控车床")
    assert {"数控", "车床", "数控车床"} <= set(tokens)


def test_stop_words_and_punctuation_dropped():
    tokens = words("请问我们的设备怎么办？！有没有师傅帮忙")
    assert "设备" in tokens
    assert not {"请问", "我们", "的", "怎么办", "有没有", "师傅", "帮忙", "？", "！"} & set(tokens)
    assert "我们" in stopwords()


def test_latin_and_model_tokens_kept_whole_in_both_views():
    views = analyse("ＣＫ－６１５０数控车床与PLC")
    assert views.words[0] == "ck6150"
    assert "plc" in views.words
    assert views.bigrams[0] == "ck6150"
    assert "plc" in views.bigrams


def test_bigrams_over_cjk_runs():
    assert bigrams("主轴异响") == ("主轴", "轴异", "异响")
    # a one-character run is kept as it is; runs do not join across a Latin token
    assert bigrams("焊 PLC控制") == ("焊", "plc", "控制")


def test_bigrams_equal_to_a_stop_word_dropped():
    assert "我们" not in bigrams("我们主轴")


def test_traditional_text_gives_the_same_tokens_as_simplified():
    assert analyse("主軸異響，溫度偏高") == analyse("主轴异响，温度偏高")


def test_private_tokenizer_leaves_global_jieba_alone():
    jieba_tokenizer()
    assert jieba_tokenizer() is jieba_tokenizer()
    assert jieba_tokenizer() is not jieba.dt
    assert "尺寸超差" in jieba_tokenizer().FREQ
    assert "尺寸超差" not in jieba.dt.FREQ
