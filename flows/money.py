"""Kopecks as people read them: 48 ₽, 12,50 ₽, 1 250 ₽ (the Russian way: comma, thin space)."""

from __future__ import annotations

THIN_SPACE = "\u202f"


def rubles(kopecks: int) -> str:
    sign = "−" if kopecks < 0 else ""
    whole, part = divmod(abs(kopecks), 100)
    digits = f"{whole:,}".replace(",", THIN_SPACE)
    return f"{sign}{digits} ₽" if part == 0 else f"{sign}{digits},{part:02d} ₽"
