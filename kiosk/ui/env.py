"""Kivy start-up settings. Kivy reads configuration at import time, so this module
must run before anything imports Kivy; it imports nothing from Kivy at module level."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ASSETS = ROOT / "assets"
FONT = ASSETS / "fonts" / "NotoSansSC-Kiosk.otf"
FONT_BOLD = ASSETS / "fonts" / "NotoSansSC-Kiosk-Bold.otf"
SOUNDS = ASSETS / "sounds"
VOICE = ASSETS / "voice"
IMAGES = ASSETS / "images"

MAX_FPS = 30
_prepared = False


def prepare(
    *,
    fullscreen: bool = False,
    width: int = 1280,
    height: int = 800,
    input_providers: dict[str, str] | None = None,
) -> None:
    """``input_providers``: Kivy's ``[input]`` section (KioskConfig.kivy_input); by
    default only SDL2's mouse, which carries a touchscreen's taps too."""
    global _prepared
    if _prepared:
        return
    _prepared = True
    # A kiosk must never parse its own command line as Kivy options, nor write a
    # config file to the home folder of whoever runs it.
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    os.environ.setdefault(
        "KIVY_HOME", str(Path(tempfile.gettempdir()) / f"kiosk-kivy-{os.getuid()}")
    )
    from kivy.config import Config

    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("graphics", "resizable", "0" if fullscreen else "1")
    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    Config.set("graphics", "show_cursor", "0" if fullscreen else "1")
    # At most 30 frames a second: the camera's rate, the fastest anything on a kiosk moves
    # (screens switch without animation). Under software GL each frame costs the CPU
    # tens of milliseconds, and a redraw happens only when something changed anyway.
    Config.set("graphics", "maxfps", str(MAX_FPS))
    # "free_all": a result handed over from the scanner or the store worker thread
    # (Clock.schedule_once_free, kiosk.ui.worker.call_on_ui) wakes the loop at once instead
    # of waiting out the frame, and ordinary events stay paced by maxfps, so an interval-0
    # event (Kivy's image Loader schedules one) cannot spin the loop as with "interrupt".
    Config.set("kivy", "kivy_clock", "free_all")
    # Escape must not close a kiosk: the only way out is through staff mode.
    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "pause_on_minimize", "0")
    Config.set("kivy", "keyboard_mode", "systemanddock" if fullscreen else "system")
    # The mtdev/hid providers probe /dev/input and can hang or fail in containers;
    # SDL2 already delivers the touchscreen as mouse/touch events.
    providers = input_providers or {"mouse": "mouse,disable_multitouch"}
    for key in list(Config.options("input")) if Config.has_section("input") else []:
        if key not in providers:
            Config.remove_option("input", key)
    for key, value in providers.items():
        Config.set("input", key, value)


def register_fonts() -> None:
    from kivy.core.text import DEFAULT_FONT, LabelBase

    # Registering under Kivy's default name makes every Label use the CJK font.
    LabelBase.register(DEFAULT_FONT, fn_regular=str(FONT), fn_bold=str(FONT_BOLD))
    LabelBase.register("KioskFont", fn_regular=str(FONT), fn_bold=str(FONT_BOLD))


def quiet_image_loader() -> None:
    """Reward pictures load on Kivy's loader threads (AsyncImage); while one loads, and
    when one cannot be read, show nothing rather than Kivy's animated spinner or broken
    picture (the tile's drawn letter stands in)."""
    from kivy.core.image import Image as CoreImage
    from kivy.graphics.texture import Texture
    from kivy.loader import Loader

    blank = Texture.create(size=(1, 1), colorfmt="rgba")
    blank.blit_buffer(b"\x00\x00\x00\x00", colorfmt="rgba", bufferfmt="ubyte")
    Loader.loading_image = CoreImage(blank)
    Loader.error_image = CoreImage(blank)
