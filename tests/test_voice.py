"""The spoken prompts shipped in assets/voice say what prompts.toml says, in every language,
and were made by assets/voice/make_voice.py with espeak-ng."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VOICE = ROOT / "assets" / "voice"
LANGS = ("zh-Hans", "zh-Hant", "en")


def ogg_seconds(path: Path) -> float:
    """Length of an Ogg Vorbis file: the last page's granule position over the rate in the
    identification header (the first packet)."""
    data = path.read_bytes()
    assert data[:4] == b"OggS", f"{path.name} is not an Ogg file"
    ident = data.index(b"\x01vorbis")
    channels = data[ident + 11]
    (rate,) = struct.unpack_from("<I", data, ident + 12)
    last = data.rindex(b"OggS")
    (granule,) = struct.unpack_from("<q", data, last + 6)
    assert channels == 1
    return granule / rate


def test_every_prompt_is_recorded_in_every_language_with_its_current_words():
    prompts = tomllib.loads((VOICE / "prompts.toml").read_text(encoding="utf-8"))
    manifest = json.loads((VOICE / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest) == set(prompts)
    for key, texts in prompts.items():
        for lang in LANGS:
            entry = manifest[key][lang]
            assert entry["text"] == texts[lang], f"{lang}/{key}: words changed, run make_voice.py"
            assert entry["voice"].startswith("espeak-ng ")
            seconds = ogg_seconds(VOICE / lang / f"{key}.ogg")
            # short enough not to hold up the next person, long enough to be words
            assert 0.4 < seconds < 6.0, f"{lang}/{key}: {seconds:.2f} s"
            assert abs(seconds - entry["seconds"]) < 0.05, f"{lang}/{key} is not the recording"
    shipped = {(p.parent.name, p.stem) for p in VOICE.glob("*/*.ogg")}
    assert shipped == {(lang, key) for key in prompts for lang in LANGS}


def test_the_script_makes_the_same_speech_from_the_same_words():
    proc = subprocess.run(
        [sys.executable, str(VOICE / "make_voice.py"), "--check"], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
