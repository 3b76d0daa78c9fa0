"""Adapters for public data sets: Complete Journey, Amazon reviews, synthetic demo reviews."""

__all__: list[str] = []
