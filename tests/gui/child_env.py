"""The environment of a child process that runs the app in a window of its own size (Kivy
sizes its window once per process). No Kivy import here: the parent must not open a window."""

from __future__ import annotations

import os
from pathlib import Path


def child_env(root: Path) -> dict[str, str]:
    """The project importable, no console log, no sound card needed, density left to the app."""
    env = {
        **os.environ,
        "PYTHONPATH": str(root),
        "KIVY_NO_ARGS": "1",
        "KIVY_NO_CONSOLELOG": "1",
        "SDL_AUDIODRIVER": "dummy",
    }
    env.pop("KIVY_METRICS_DENSITY", None)
    return env
