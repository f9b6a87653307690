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
    "star": "#6B4500",  # deep gold-brown: a new star level (gold on a warm ground)
    "star_ink": "#FFF4C8",
}

# (background, text) pairs actually used; the GUI tests check each is >= 7:1.
PAIRS = [
    ("bg", "ink"),
    ("bg", "muted_ink"),
    ("panel", "ink"),
    ("panel", "muted_ink"),
    ("bar", "bar_ink"),
    ("accent", "accent_ink"),
    ("success", "success_ink"),
    ("refusal", "refusal_ink"),
    ("warning", "warning_ink"),
    ("info", "info_ink"),
    ("banner", "banner_ink"),
    ("disabled", "disabled_ink"),
    ("star", "star_ink"),
]

# Outcome tone -> (background, text, sound)
TONES = {
    "success": ("success", "success_ink", "success"),
    "refusal": ("refusal", "refusal_ink", "refusal"),
    "warning": ("warning", "warning_ink", "refusal"),
    "info": ("info", "info_ink", "notice"),
    "star": ("star", "star_ink", "star"),
}


# -- sizes ------------------------------------------------------------------------------
# Every screen is drawn for a window of DESIGN_SIZE dp (1280x800: a 10-inch panel, ~150 ppi).
# Body text (24-34 sp) and touch targets (>= 48 dp, mostly 64-96) never shrink with the
# window: the common 7-inch 1024x600 touch display has *denser* pixels (~170 ppi), so
# scaling it down by 600/800 would print body text at two thirds of its size on paper,
# too small for a 75-year-old at arm's length. Two levers instead:
#
# - density_for: a window larger than the design both ways (a 21-24 inch 1920x1080
#   screen, ~100 ppi) scales everything, dp and sp alike (Kivy's Metrics.density), so the
#   screens keep their drawn proportions instead of floating in empty space;
# - room_for: on a window shorter than the design, display-size type (titles, the pickup
#   number), generous button heights, padding and spacing shrink towards their compact
#   values (between(); in kiosk.kv), never below 24 sp text or 48 dp targets. Lists and
#   the staff menu scroll; the result screens fit without scrolling.
DESIGN_SIZE = (1280, 800)  # dp
COMPACT_HEIGHT = 600  # dp: at this height and below, the compact values apply in full


def density_for(width_px: float, height_px: float) -> float:
    """Kivy's density (pixels per dp) for a window of this size: 1 up to the design size,
    more for a window that is larger both ways (1.35 for 1920x1080)."""
    scale = min(width_px / DESIGN_SIZE[0], height_px / DESIGN_SIZE[1])
    return round(max(1.0, scale), 3)


def room_for(height_dp: float) -> float:
    """0 on a window COMPACT_HEIGHT dp high or shorter, 1 from the design height up."""
    span = DESIGN_SIZE[1] - COMPACT_HEIGHT
    return max(0.0, min(1.0, (height_dp - COMPACT_HEIGHT) / span))


def between(compact: float, regular: float, room: float) -> float:
    """A size (sp or dp) for a window with this much ``room``: ``compact`` at 0, ``regular`` at 1."""
    return compact + (regular - compact) * room


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
