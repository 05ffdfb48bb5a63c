def test_sheet_titles_lose_the_characters_excel_forbids() -> None:
    from gonghui.core.tabular import safe_sheet_title

    assert safe_sheet_title("待办成果（受理 / 评审）") == "待办成果（受理 - 评审）"
    assert safe_sheet_title("a[b]:c*d?e\\f") == "a-b--c-d-e-f"
    assert safe_sheet_title("   ") == "数据"
    assert len(safe_sheet_title("长" * 40)) == 31
