"""Make the kiosk's spoken prompts from prompts.toml (run from anywhere:
``python assets/voice/make_voice.py``; ``--check`` only compares).

Speech comes from espeak-ng (Debian package ``espeak-ng``): Mandarin for zh-Hans,
Cantonese for zh-Hant (the Hong Kong and Macau residents who read it), British English
for en, a little slower than its default for older ears. No voice model is downloaded:
espeak-ng synthesises from its own rules. Each recording is trimmed of silence, given a
short fade and stored as Ogg Vorbis (``oggenc`` from ``vorbis-tools``; Kivy's SDL2 mixer
plays it), ~15 KB for a sentence instead of ~100 KB of WAV.

manifest.json lists, per prompt and language, the words, the voice, the length and a
SHA-256 of the PCM espeak-ng made, so a test can tell the shipped recordings still say
what prompts.toml says, made by this script.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import shutil
import subprocess
import sys
import tempfile
import tomllib
import wave
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROMPTS = HERE / "prompts.toml"
MANIFEST = HERE / "manifest.json"
LANGS = ("zh-Hans", "zh-Hant", "en")
VOICES = {"zh-Hans": "cmn", "zh-Hant": "yue", "en": "en-gb"}
# words per minute, a little under espeak-ng's 175; its Mandarin runs slower at the same figure
SPEED = {"zh-Hans": 175, "zh-Hant": 150, "en": 145}
PITCH = 45
SILENCE = 300  # a sample below this (of 32767) is silence, for trimming


def prompts() -> dict[str, dict[str, str]]:
    data = tomllib.loads(PROMPTS.read_text(encoding="utf-8"))
    for key, texts in data.items():
        missing = [lang for lang in LANGS if not str(texts.get(lang, "")).strip()]
        if missing:
            raise SystemExit(f"prompts.toml: [{key}] has no text for {', '.join(missing)}")
    return data


def synthesise(text: str, lang: str) -> tuple[bytes, int]:
    """(16-bit mono PCM, sample rate) from espeak-ng."""
    proc = subprocess.run(
        [
            "espeak-ng",
            "-v",
            VOICES[lang],
            "-s",
            str(SPEED[lang]),
            "-p",
            str(PITCH),
            "--stdout",
            text,
        ],
        capture_output=True,
        check=True,
    )
    with wave.open(io.BytesIO(proc.stdout)) as w:
        return w.readframes(w.getnframes()), w.getframerate()


def trimmed(pcm: bytes, rate: int) -> bytes:
    """Without the silence espeak-ng puts around speech, with 40 ms kept each side and
    a 10 ms fade at the ends, so nothing clicks."""
    import numpy as np

    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    loud = np.nonzero(np.abs(samples) > SILENCE)[0]
    if len(loud) == 0:
        return pcm
    pad = int(rate * 0.04)
    samples = samples[max(0, loud[0] - pad) : loud[-1] + pad]
    fade = min(len(samples) // 2, int(rate * 0.01))
    ramp = np.linspace(0.0, 1.0, fade)
    samples[:fade] *= ramp
    samples[-fade:] *= ramp[::-1]
    return np.clip(samples, -32768, 32767).astype("<i2").tobytes()


def encode(pcm: bytes, rate: int, out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "prompt.wav"
        with wave.open(str(wav), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(pcm)
        # a fixed stream serial number: the same words make the same file
        subprocess.run(
            ["oggenc", "-Q", "-q", "2", "--serial", "1", "-o", str(out), str(wav)], check=True
        )


def make(check: bool) -> int:
    for tool in ("espeak-ng", "oggenc"):
        if shutil.which(tool) is None:
            print(f"{tool} is missing: apt-get install espeak-ng vorbis-tools", file=sys.stderr)
            return 2
    manifest: dict[str, dict[str, dict]] = {}
    for key, texts in prompts().items():
        manifest[key] = {}
        for lang in LANGS:
            raw, rate = synthesise(texts[lang], lang)
            pcm = trimmed(raw, rate)
            manifest[key][lang] = {
                "text": texts[lang],
                "voice": f"espeak-ng {VOICES[lang]} -s {SPEED[lang]} -p {PITCH}",
                "seconds": round(len(pcm) / 2 / rate, 2),
                "pcm_sha256": hashlib.sha256(pcm).hexdigest(),
            }
            if not check:
                out = HERE / lang / f"{key}.ogg"
                out.parent.mkdir(exist_ok=True)
                encode(pcm, rate, out)
    text = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    if check:
        if MANIFEST.read_text(encoding="utf-8") != text:
            print(
                "the recordings are not what prompts.toml says: run make_voice.py", file=sys.stderr
            )
            return 1
        return 0
    MANIFEST.write_text(text, encoding="utf-8")
    keep = {f"{key}.ogg" for key in manifest}
    for lang in LANGS:
        for stale in (HERE / lang).glob("*.ogg"):
            if stale.name not in keep:
                stale.unlink()
    print(f"{len(manifest)} prompts x {len(LANGS)} languages written under {HERE}")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare only; write nothing")
    sys.exit(make(parser.parse_args().check))
