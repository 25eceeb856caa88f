"""b12care: clinical decision support for vitamin B12 injection therapy."""

__all__ = ["__version__"]

__version__ = "0.1.0"
