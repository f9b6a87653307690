"""Outcome sounds and spoken prompts. Loaded off the UI thread at start; a machine without
audio plays nothing and says so in the log, and the screen still shows every outcome in
words and colour.

A tone says which kind of answer it was; then, unless staff switched spoken prompts off,
a short recording says it in the screen's language (assets/voice, made by
assets/voice/make_voice.py with espeak-ng)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from kiosk.ui.env import SOUNDS, VOICE

log = logging.getLogger("kiosk.ui.sounds")

NAMES = ("success", "refusal", "notice", "staff", "star")
VOICE_LANGS = ("zh-Hans", "zh-Hant", "en")


def voice_path(lang: str, key: str) -> Path:
    return VOICE / lang / f"{key}.ogg"


def voice_keys() -> set[str]:
    """The prompts recorded in every language."""
    per_lang = [{p.stem for p in (VOICE / lang).glob("*.ogg")} for lang in VOICE_LANGS]
    return set.intersection(*per_lang) if per_lang else set()


class SoundBoard:
    def __init__(self, enabled: bool = True, voice: bool = True) -> None:
        self._sounds: dict[str, object] = {}
        self._voices: dict[tuple[str, str], object] = {}
        self._speaking: object | None = None
        self._pending: object | None = None  # the Clock event that starts the prompt
        self.voice = voice  # staff switch spoken prompts on and off in settings
        self.played: list[str] = []  # tones asked for, newest last: the tests read it
        self.spoken: list[str] = []  # prompts asked for ("zh-Hans/signed_in"), newest last
        self._loader = None
        if not enabled:
            return
        try:
            from kivy.core.audio import SoundLoader
        except Exception as exc:  # no audio provider at all
            log.warning("no audio: %s", exc)
            return
        self._loader = SoundLoader
        # decoding some sixty recordings takes a moment: not on the UI thread
        threading.Thread(target=self._load_all, name="sounds", daemon=True).start()

    def _load(self, path: Path) -> object | None:
        try:
            return self._loader.load(str(path)) if path.exists() else None
        except Exception as exc:
            log.warning("cannot load %s: %s", path, exc)
            return None

    def _load_all(self) -> None:
        # A machine without a sound device (no card, no ALSA default) answers every load with
        # None and a warning of its own: ask once, not seventy times, and say it in one line.
        first = SOUNDS / f"{NAMES[0]}.wav"
        if first.exists() and self._load(first) is None:
            log.warning(
                "no sound device: tones and spoken prompts are off; every outcome is still"
                " shown in words and colour"
            )
            return
        for name in NAMES:
            sound = self._load(SOUNDS / f"{name}.wav")
            if sound is not None:
                self._sounds[name] = sound
        for lang in VOICE_LANGS:
            for path in sorted((VOICE / lang).glob("*.ogg")):
                sound = self._load(path)
                if sound is not None:
                    self._voices[(lang, path.stem)] = sound

    def play(self, name: str) -> None:
        self.played.append(name)
        del self.played[:-20]
        sound = self._sounds.get(name) or (self._sounds.get("success") if name == "star" else None)
        if sound is None:
            return
        try:
            sound.stop()
            sound.play()
        except Exception as exc:
            log.warning("cannot play %s: %s", name, exc)

    def say(self, key: str, lang: str, *, after: str | None = None) -> None:
        """Speak the prompt ``key`` in ``lang``, once the tone ``after`` has rung."""
        self.stop_speaking()
        if not self.voice or not key:
            return
        self.spoken.append(f"{lang}/{key}")
        del self.spoken[:-20]
        sound = self._voices.get((lang, key))
        if sound is None:
            return
        tone = self._sounds.get(after) if after else None
        delay = float(getattr(tone, "length", 0) or 0) if tone is not None else 0.0

        def start(_dt: float = 0) -> None:
            self._pending = None
            try:
                sound.play()
                self._speaking = sound
            except Exception as exc:
                log.warning("cannot say %s/%s: %s", lang, key, exc)

        from kivy.clock import Clock

        self._pending = Clock.schedule_once(start, min(delay, 1.5))

    def stop_speaking(self) -> None:
        """A new answer, or back to the home screen: the last one's words stop."""
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        if self._speaking is not None:
            try:
                self._speaking.stop()
            except Exception:
                pass
            self._speaking = None
