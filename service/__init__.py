"""Khabar: structured extraction from Arabic news, grounded in the source text."""

__version__ = "0.1.0"
