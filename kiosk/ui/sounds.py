"""Outcome sounds. Loaded once at start; a machine without audio plays nothing and
says so in the log, and the screen still shows every outcome in words and colour."""

from __future__ import annotations

import logging

from kiosk.ui.env import SOUNDS

log = logging.getLogger("kiosk.ui.sounds")

NAMES = ("success", "refusal", "notice", "staff")


class SoundBoard:
    def __init__(self, enabled: bool = True) -> None:
        self._sounds: dict[str, object] = {}
        self.played: list[str] = []  # what was asked for, newest last: the tests read it
        if not enabled:
            return
        try:
            from kivy.core.audio import SoundLoader
        except Exception as exc:  # no audio provider at all
            log.warning("no audio: %s", exc)
            return
        for name in NAMES:
            path = SOUNDS / f"{name}.wav"
            try:
                sound = SoundLoader.load(str(path)) if path.exists() else None
            except Exception as exc:
                log.warning("cannot load %s: %s", path, exc)
                sound = None
            if sound is not None:
                self._sounds[name] = sound

    def play(self, name: str) -> None:
        self.played.append(name)
        del self.played[:-20]
        sound = self._sounds.get(name)
        if sound is None:
            return
        try:
            sound.stop()
            sound.play()
        except Exception as exc:
            log.warning("cannot play %s: %s", name, exc)
