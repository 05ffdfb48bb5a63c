"""荣誉证书 (honour certificates) for ranked roadshow entries, as printable A4 landscape PDFs.

The text uses reportlab's built-in CID font STSong-Light (Adobe's Song typeface, which every
PDF reader ships), so no font file is bundled and the PDF stays a few kilobytes.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.lib.colors import HexColor
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Frame, Paragraph, Spacer

from gonghui.innovation.models import Entry, Evaluation

FONT = "STSong-Light"
RED = HexColor("#c8102e")
GOLD = HexColor("#c9a227")
PAPER = HexColor("#fffaf0")
INK = HexColor("#222222")
DIGITS = "〇一二三四五六七八九"


@dataclass(frozen=True, slots=True)
class Certificate:
    """What a certificate says; ``completers`` in the team's order (first completer first)."""

    number: str
    outcome_title: str
    completers: tuple[str, ...]
    rank: int
    score: Decimal | None
    evaluation_title: str
    host: str
    date: dt.date

    @property
    def award(self) -> str:
        return f"第{chinese_number(self.rank)}名"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 31 → 三十一 (ranks, months and days)."""
    if n < 10:
        return DIGITS[n]
    tens, ones = divmod(n, 10)
    if tens >= 10:
        return str(n)
    return f"{DIGITS[tens] if tens > 1 else ''}十{DIGITS[ones] if ones else ''}"


def chinese_date(day: dt.date) -> str:
    """The date as certificates write it: 二〇二六年五月二十日."""
    year = "".join(DIGITS[int(d)] for d in str(day.year))
    return f"{year}年{chinese_number(day.month)}月{chinese_number(day.day)}日"


def certificate_data(*, evaluation: Evaluation, entry: Entry) -> Certificate:
    """The certificate of a ranked entry of a closed evaluation (reads the team, in order)."""
    if entry.rank is None:
        raise ValueError("only ranked entries get a certificate")
    completers = tuple(entry.outcome.team.order_by("order").values_list("name", flat=True))
    return Certificate(
        number=f"{evaluation.held_on:%Y}-{evaluation.pk:04d}-{entry.order:02d}",
        outcome_title=entry.outcome.title,
        completers=completers,
        rank=entry.rank,
        score=entry.final_score,
        evaluation_title=evaluation.title,
        host=evaluation.org_unit.name,
        date=evaluation.held_on,
    )


def _register_font() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def certificate_pdf(certificate: Certificate) -> bytes:
    """One A4 landscape page: red and gold frame, 荣誉证书, the citation, host and date."""
    _register_font()
    buffer = io.BytesIO()
    width, height = landscape(A4)
    canvas = Canvas(buffer, pagesize=(width, height), pageCompression=1)
    canvas.setTitle(f"荣誉证书 {certificate.outcome_title}")
    canvas.setAuthor(certificate.host)
    canvas.setSubject(certificate.evaluation_title)

    canvas.setFillColor(PAPER)
    canvas.rect(0, 0, width, height, stroke=0, fill=1)
    canvas.setStrokeColor(RED)
    canvas.setLineWidth(10)
    canvas.rect(24, 24, width - 48, height - 48, stroke=1, fill=0)
    canvas.setStrokeColor(GOLD)
    canvas.setLineWidth(1.5)
    canvas.rect(40, 40, width - 80, height - 80, stroke=1, fill=0)

    canvas.setFillColor(RED)
    canvas.setFont(FONT, 46)
    canvas.drawCentredString(width / 2, height - 130, "荣 誉 证 书")

    body = ParagraphStyle("body", fontName=FONT, fontSize=19, leading=36, textColor=INK, wordWrap="CJK")
    names = ParagraphStyle("names", parent=body, fontSize=20)
    citation = ParagraphStyle("citation", parent=body, alignment=TA_JUSTIFY, firstLineIndent=38)
    award = ParagraphStyle("award", parent=body, fontSize=30, leading=48, alignment=TA_CENTER, textColor=RED)
    score = f"（得分 {certificate.score}）" if certificate.score is not None else ""
    story = [
        Paragraph(escape("、".join(certificate.completers) or certificate.outcome_title) + "：", names),
        Spacer(0, 6),
        Paragraph(
            escape(
                f"你们完成的创新成果《{certificate.outcome_title}》在{certificate.evaluation_title}"
                f"中表现优异{score}，荣获"
            ),
            citation,
        ),
        Paragraph(escape(certificate.award), award),
        Paragraph(escape("特发此证，以资鼓励。"), citation),
    ]
    frame = Frame(110, 170, width - 220, height - 330, showBoundary=0, leftPadding=0, rightPadding=0)
    frame.addFromList(story, canvas)

    right = ParagraphStyle("right", parent=body, fontSize=18, leading=30, alignment=TA_RIGHT)
    signature = [Paragraph(escape(certificate.host), right), Paragraph(chinese_date(certificate.date), right)]
    Frame(width / 2, 70, width / 2 - 110, 90, showBoundary=0, rightPadding=0).addFromList(signature, canvas)

    canvas.setFillColor(HexColor("#777777"))
    canvas.setFont(FONT, 10)
    canvas.drawString(70, 58, f"证书编号：{certificate.number}")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
