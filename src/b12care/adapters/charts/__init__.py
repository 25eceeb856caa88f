"""Charts of a patient's record (matplotlib, server-side SVG)."""
