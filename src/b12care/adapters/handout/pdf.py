"""The patient handout as an A4 PDF: headings, a table of dates, the calendar link and its QR code.

fpdf2 writes the PDF; segno draws the QR code (PNG in memory). The text font is DejaVu Sans, the TTF
matplotlib ships (the PDF core fonts are Latin-1 only). A name in a script DejaVu lacks (Chinese, Japanese,
Korean...) is drawn from a wide-coverage fallback font where the system has one: Debian's Noto Sans CJK
(``fonts-noto-cjk``) or GNU Unifont (``fonts-unifont``, every character of the Basic Multilingual Plane;
`python3 tasks.py test` installs it). fpdf2's warning about missing glyphs lists the characters - a
patient's name - so it is logged with a count only (security probe L4).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from pathlib import Path

import matplotlib
import segno
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from b12care.adapters.handout.text import long_day
from b12care.application.handout import Handout, HandoutDate

__all__ = ["handout_pdf"]

_FONT = "DejaVu"
# (family, file, collection index): wide-coverage fonts from Debian's packages, first found first used.
_FALLBACKS = (
    ("NotoSansCJK", Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"), 0),
    ("Unifont", Path("/usr/share/fonts/opentype/unifont/unifont.otf"), 0),
)
_MISSING_GLYPHS = "is missing the following glyphs"
_BODY = 12.0
_HEADING = 15.0
_LINE = 6.5


def _font_dir() -> Path:
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


class _NoGlyphsInLog(logging.Filter):
    """fpdf2 logs the characters a font lacks; they may be a patient's name: log how many, not which."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _MISSING_GLYPHS in str(record.msg) and len(record.args or ()) == 2:
            font, glyphs = record.args  # type: ignore[misc]
            record.msg = "Font %s is missing %d glyph(s); not listed (they may be patient data)"
            record.args = (font, str(glyphs).count("(\\u") or str(glyphs).count(",") + 1)
        return True


logging.getLogger("fpdf.output").addFilter(_NoGlyphsInLog())
logging.getLogger("fontTools.subset").setLevel(logging.WARNING)  # its INFO lines name the glyphs used


def _add_fallbacks(pdf: FPDF) -> None:
    families = []
    for family, path, index in _FALLBACKS:
        if path.is_file():
            pdf.add_font(family, "", str(path), collection_font_number=index)
            pdf.add_font(family, "B", str(path), collection_font_number=index)
            families.append(family)
    if families:
        pdf.set_fallback_fonts(families, exact_match=False)


class _Sheet:
    """A small writer over FPDF: headings, paragraphs, bullet lists and date tables."""

    def __init__(self, handout: Handout) -> None:
        pdf = FPDF(orientation="portrait", unit="mm", format="A4")
        pdf.set_margins(18, 16, 18)
        pdf.set_auto_page_break(auto=True, margin=16)
        pdf.add_font(_FONT, "", str(_font_dir() / "DejaVuSans.ttf"))
        pdf.add_font(_FONT, "B", str(_font_dir() / "DejaVuSans-Bold.ttf"))
        _add_fallbacks(pdf)
        pdf.set_title(handout.title)
        pdf.set_author("b12care")
        pdf.set_creator("b12care")
        pdf.set_lang("en")
        made = dt.datetime.combine(handout.made_on, dt.time(0, 0), tzinfo=dt.UTC)
        pdf.set_creation_date(made)  # the handout's date, so the same handout gives the same bytes
        pdf.add_page()
        self.pdf = pdf

    def heading(self, text: str, size: float = _HEADING) -> None:
        self.pdf.set_font(_FONT, "B", size)
        self.pdf.ln(2)
        self.pdf.multi_cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.ln(1)

    def paragraph(self, text: str) -> None:
        self.pdf.set_font(_FONT, "", _BODY)
        self.pdf.multi_cell(0, _LINE, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.ln(1)

    def bullets(self, lines: tuple[str, ...]) -> None:
        self.pdf.set_font(_FONT, "", _BODY)
        for line in lines:
            self.pdf.cell(6, _LINE, "\u2022")
            self.pdf.multi_cell(0, _LINE, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.ln(1)

    def dates(self, lines: tuple[HandoutDate, ...]) -> None:
        if not lines:
            return
        self.pdf.set_font(_FONT, "", _BODY - 1)
        with self.pdf.table(col_widths=(42, 58), line_height=_LINE, first_row_as_headings=True) as table:
            header = table.row()
            header.cell("Date")
            header.cell("What")
            for line in lines:
                row = table.row()
                row.cell(long_day(line.date))
                row.cell(line.what)
        self.pdf.ln(2)

    def qr(self, url: str) -> None:
        buffer = io.BytesIO()
        segno.make(url, error="m").save(buffer, kind="png", scale=6, border=2)
        buffer.seek(0)
        size = 38.0
        if self.pdf.get_y() + size > self.pdf.h - self.pdf.b_margin:
            self.pdf.add_page()
        self.pdf.image(buffer, x=self.pdf.l_margin, w=size, h=size, alt_text=f"QR code of {url}")
        self.pdf.set_font(_FONT, "", _BODY - 2)
        self.pdf.multi_cell(0, _LINE, url, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def handout_pdf(handout: Handout) -> bytes:
    """The handout as PDF bytes (A4, 12 pt text, a table per list of dates, the calendar QR code)."""
    sheet = _Sheet(handout)
    sheet.heading(handout.title, 20)
    sheet.paragraph(f"For {handout.patient_name}. Made on {long_day(handout.made_on)}.")
    sheet.heading("Why you need vitamin B12")
    sheet.paragraph(handout.cause)
    sheet.heading("Your medicine")
    sheet.paragraph(handout.medicine)
    sheet.heading("Loading injections")
    sheet.paragraph(handout.loading_text)
    sheet.dates(handout.loading)
    sheet.heading("After loading")
    sheet.paragraph(handout.maintenance)
    sheet.heading("Your next injections")
    sheet.paragraph(handout.next_text)
    sheet.dates(handout.next_dates)
    sheet.heading("Blood tests and reviews")
    if handout.milestones:
        sheet.dates(handout.milestones)
    else:
        sheet.paragraph("No blood tests or reviews are planned yet.")
    if handout.watch_for:
        sheet.heading("When to call your clinic")
        sheet.bullets(handout.watch_for)
    sheet.heading("Calendar")
    sheet.paragraph(handout.calendar_text)
    if handout.calendar_url:
        sheet.qr(handout.calendar_url)
    sheet.heading("Who decides", _BODY + 1)
    sheet.paragraph(handout.clinician_note)
    sheet.paragraph(f"Made with the b12care knowledge pack {handout.pack_label}.")
    return sheet.output()
