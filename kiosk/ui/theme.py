"""Colours and sizes, in one place so every screen is consistent and the contrast test
checks exactly what is drawn. Each pair is (background, text); all are >= 7:1."""

from __future__ import annotations


def hex_rgba(h: str, a: float = 1.0) -> tuple[float, float, float, float]:
    h = h.lstrip("#")
    return (int(h[0:2], 16) / 255, int(h[2:4], 16) / 255, int(h[4:6], 16) / 255, a)


PALETTE = {
    "bg": "#F4F1EA",  # warm paper: less glare than white for older eyes
    "ink": "#1A1A1A",
    "muted_ink": "#3A3A3A",
    "panel": "#FFFFFF",
    "bar": "#12355B",  # top bar, deep blue
    "bar_ink": "#FFFFFF",
    "accent": "#0B4F8A",  # primary buttons
    "accent_ink": "#FFFFFF",
    "success": "#0B5D1E",  # green: signed in, signed out, redeemed
    "success_ink": "#FFFFFF",
    "refusal": "#8E1B1B",  # red: forged, suspended, not a card
    "refusal_ink": "#FFFFFF",
    "warning": "#F2B134",  # orange: forgotten session, replaced card, out of stock
    "warning_ink": "#1A1A1A",
    "info": "#DCE9F7",  # already signed in, staff
    "info_ink": "#0A1F33",
    "online": "#0B5D1E",
    "offline": "#F2B134",
    "banner": "#8E1B1B",
    "banner_ink": "#FFFFFF",
    "disabled": "#D6D2C8",
    "disabled_ink": "#1A1A1A",
}

# (background, text) pairs actually used; the GUI tests check each is >= 7:1.
PAIRS = [
    ("bg", "ink"), ("bg", "muted_ink"), ("panel", "ink"), ("panel", "muted_ink"), ("bar", "bar_ink"),
    ("accent", "accent_ink"), ("success", "success_ink"), ("refusal", "refusal_ink"),
    ("warning", "warning_ink"), ("info", "info_ink"), ("banner", "banner_ink"), ("disabled", "disabled_ink"),
]

# Outcome tone -> (background, text, sound)
TONES = {
    "success": ("success", "success_ink", "success"),
    "refusal": ("refusal", "refusal_ink", "refusal"),
    "warning": ("warning", "warning_ink", "refusal"),
    "info": ("info", "info_ink", "notice"),
}


def rgba(name: str, a: float = 1.0) -> tuple[float, float, float, float]:
    return hex_rgba(PALETTE[name], a)


def luminance(h: str) -> float:
    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b, _ = hex_rgba(h)
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
