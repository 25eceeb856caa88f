"""The patient handout as a PDF (fpdf2, QR code by segno) and as plain text.

Import the submodules directly: ``pdf`` loads fpdf2, which command-line start-up should not pay for.
"""
