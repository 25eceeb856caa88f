"""The handout PDF: A4, its text readable back (dates, calendar link, pack), the QR code drawn as an image."""

from __future__ import annotations

import dataclasses
import io
import logging
import os
from pathlib import Path

import pytest
from handout_views import LOADING, TODAY, URL, patient_view
from pypdf import PdfReader

from b12care.adapters.handout.coming import coming_dates
from b12care.adapters.handout.pdf import handout_pdf
from b12care.application.handout import Handout, build_handout

A4_POINTS = (595.28, 841.89)
UNIFONT = Path("/usr/share/fonts/opentype/unifont/unifont.otf")


def handout(url: str | None = URL) -> Handout:
    view, history, pack = patient_view()
    return build_handout(
        view, today=TODAY, calendar_url=url, pack=pack, coming=coming_dates(view.forecast, history, pack)
    )


def text_of(reader: PdfReader) -> str:
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def images_of(reader: PdfReader) -> int:
    return sum(len(page.images) for page in reader.pages)


def test_the_pdf_is_a4_and_carries_the_dates_the_link_and_the_pack() -> None:
    reader = PdfReader(io.BytesIO(handout_pdf(handout())))

    width, height = (float(x) for x in reader.pages[0].mediabox.upper_right)
    assert (round(width, 1), round(height, 1)) == (round(A4_POINTS[0], 1), round(A4_POINTS[1], 1))
    text = text_of(reader)
    for expected in ("5 January 2026", "16 January 2026", "16 April 2026", "16 July 2026", "5 April 2026"):
        assert expected in text
    assert URL in text
    assert "uk-nice-2024 1.1.0" in text
    assert "as recorded by your clinic" in text
    assert text.count("Loading injection") == len(LOADING) + 1  # one a row, and the heading


def test_the_calendar_qr_code_is_an_image_in_the_pdf_only_when_there_is_a_link() -> None:
    with_link = PdfReader(io.BytesIO(handout_pdf(handout())))
    without = PdfReader(io.BytesIO(handout_pdf(handout(url=None))))

    assert images_of(with_link) == 1
    assert images_of(without) == 0
    assert "Ask your clinic for a calendar link" in text_of(without)


def test_the_same_handout_gives_the_same_pdf() -> None:
    assert handout_pdf(handout()) == handout_pdf(handout())


def test_a_name_outside_latin_1_prints() -> None:
    named = handout()
    pdf = handout_pdf(dataclasses.replace(named, patient_name="Zoë Łukasiewicz-Ωmega"))

    assert "Łukasiewicz-Ωmega" in text_of(PdfReader(io.BytesIO(pdf)))


def test_a_name_in_another_script_prints_and_no_log_line_carries_it(caplog: pytest.LogCaptureFixture) -> None:
    """Security probe L4: fpdf2 logged the glyphs its font lacked - the patient's name - and dropped them."""
    if os.environ.get("CI") is None and not UNIFONT.is_file():
        pytest.skip("fonts-unifont is not installed (python3 tasks.py test installs it)")
    names = ("王小明", "Ἀριστοτέλης", "محمد", "नमस्ते", "김민준")
    with caplog.at_level(logging.DEBUG):
        texts = [
            text_of(PdfReader(io.BytesIO(handout_pdf(dataclasses.replace(handout(), patient_name=name)))))
            for name in names
        ]

    # drawn from the fallback font, not dropped (pypdf reads the fallback's two-byte codes with a NUL)
    assert "王小明" in texts[0].replace("\x00", "") and "김민준" in texts[4].replace("\x00", "")
    logged = " ".join(record.getMessage() for record in caplog.records)
    for name in names:
        assert not set(name) & set(logged)
