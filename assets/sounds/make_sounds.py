"""Generate the kiosk's outcome sounds as 16-bit mono WAV files (run from the repo root:
``python assets/sounds/make_sounds.py``). Short, soft-edged tones: a rising two-note
chime for success, a low falling pair for a refusal, one neutral note for a notice,
a short double beep for staff mode, and a rising arpeggio for a new star level. Distinct in pitch and shape, so a person who
cannot read the screen still hears which kind of answer it was."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

RATE = 22050
HERE = Path(__file__).resolve().parent


def tone(
    freq: float, seconds: float, volume: float = 0.5, harmonics: tuple[float, ...] = (1.0, 0.3, 0.1)
) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    wave_ = sum(a * np.sin(2 * np.pi * freq * (i + 1) * t) for i, a in enumerate(harmonics))
    # Quick attack and an exponential decay: a bell, not a buzzer.
    env = np.minimum(1.0, t / 0.01) * np.exp(-3.5 * t / seconds)
    return volume * wave_ / sum(harmonics) * env


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(RATE * seconds))


def write(name: str, samples: np.ndarray) -> Path:
    path = HERE / f"{name}.wav"
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm.tobytes())
    return path


def main() -> None:
    write("success", np.concatenate([tone(784, 0.16), tone(1047, 0.35)]))  # G5 -> C6
    write(
        "refusal", np.concatenate([tone(330, 0.22, 0.6), silence(0.04), tone(247, 0.40, 0.6)])
    )  # E4 -> B3
    write("notice", tone(660, 0.3, 0.45))
    # a new star level: a rising arpeggio, longer and brighter than success
    write(
        "star",
        np.concatenate([tone(784, 0.14), tone(988, 0.14), tone(1175, 0.14), tone(1568, 0.5)]),
    )  # G5 B5 D6 G6
    write(
        "staff",
        np.concatenate(
            [tone(1200, 0.08, 0.4, (1.0,)), silence(0.06), tone(1200, 0.08, 0.4, (1.0,))]
        ),
    )


if __name__ == "__main__":
    main()
