"""The sound board on a machine without a sound device: one question, one log line, and a
kiosk that goes on (the screen shows every outcome in words and colour)."""

from __future__ import annotations

import logging

from kiosk.ui.sounds import NAMES, VOICE_LANGS, SoundBoard, voice_keys


class Loader:
    """Kivy's SoundLoader at the edge of the world: a device that is there or is not."""

    def __init__(self, device: bool):
        self.device = device
        self.asked: list[str] = []

    def load(self, path: str):
        self.asked.append(path)
        return object() if self.device else None


def board_with(loader: Loader) -> SoundBoard:
    board = SoundBoard(enabled=False)
    board._loader = loader
    board._load_all()
    return board


def test_no_sound_device_is_asked_once_and_said_once(caplog):
    loader = Loader(device=False)
    with caplog.at_level(logging.WARNING, logger="kiosk.ui.sounds"):
        board = board_with(loader)
    assert len(loader.asked) == 1
    assert [r.getMessage() for r in caplog.records if "no sound device" in r.getMessage()]
    board.play("success")  # nothing to play, nothing raised
    board.say("signed_in", "zh-Hans")


def test_a_sound_device_loads_every_tone_and_prompt():
    loader = Loader(device=True)
    board = board_with(loader)
    assert set(board._sounds) == set(NAMES)
    assert {k for (lang, k) in board._voices if lang == VOICE_LANGS[0]} >= voice_keys()
