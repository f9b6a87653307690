"""Decoding only what could hold a code: the fallbacks wait for evidence, and the evidence
of a stream of frames (change, near-miss regions, stillness) is used without losing a read."""

from __future__ import annotations

import numpy as np
import pytest

from devtools import synth, video
from kiosk.scanner import decoders
from kiosk.scanner import pipeline as pl
from kiosk.scanner.evidence import BurstReader, SceneChange
from kiosk.scanner.pipeline import DecodePipeline, code_texture, to_gray


class ZbarCalls:
    """Counts the whole-frame fallback's pyzbar runs (the costly part of an unread frame)."""

    def __init__(self, monkeypatch):
        self.calls = 0
        real = decoders.zbar

        def counting(gray, *, name="pyzbar"):
            if name.startswith("pyzbar+threshold") or name == "pyzbar+downscale":
                self.calls += 1
            return real(gray, name=name)

        monkeypatch.setattr(decoders, "zbar", counting)


@pytest.fixture
def zbar_calls(monkeypatch):
    return ZbarCalls(monkeypatch)


def test_fallbacks_are_skipped_on_empty_frames(zbar_calls):
    pipe = DecodePipeline(budget_ms=1e9)
    for seed in range(6):
        assert not pipe.decode(synth.render("empty", seed).image).codes
        assert not pipe.decode(synth.background_frame(seed=seed)).codes
    assert zbar_calls.calls == 0
    # The same frames with the gate off (as before): the fallback runs on each of them.
    ungated = DecodePipeline(budget_ms=1e9, gated=False)
    for seed in range(3):
        ungated.decode(synth.render("empty", seed).image)
    assert zbar_calls.calls == 3


# Frames only the whole-frame fallback reads, without a near-miss from zxing-cpp to go on:
# the texture evidence must let the fallback run on them (found with bench/bench_decode.py).
FALLBACK_ONLY = [("dim", 36), ("noise", 6), ("motion_blur", 13), ("glare", 38)]


@pytest.mark.parametrize(("category", "seed"), FALLBACK_ONLY)
def test_fallbacks_run_where_the_frame_shows_code_like_texture(zbar_calls, category, seed):
    frame = synth.render(category, seed)
    work = pl.Work(to_gray(frame.image))
    assert not pl.stage_zxing(work) and not work.near_misses  # zxing-cpp alone: nothing
    got = DecodePipeline(budget_ms=1e9).decode(frame.image)
    assert [c.text for c in got.codes] == list(frame.texts)
    assert zbar_calls.calls >= 1 and got.evidence is True


def test_code_texture_separates_codes_from_rooms_and_text():
    empty = [code_texture(to_gray(synth.render("empty", s).image)) for s in range(20)]
    coded = [code_texture(to_gray(synth.render("nominal", s).image)) for s in range(20)]
    assert max(empty) < pl.CODE_TEXTURE < min(coded)
    assert code_texture(np.zeros((480, 640), np.uint8)) == 0.0
    assert code_texture(np.zeros((8, 8), np.uint8)) == 0.0


def test_scene_change_sees_a_small_phone_but_not_sensor_noise():
    change = SceneChange()
    frames = list(video.empty_room(0.3))  # new sensor noise in every frame
    assert change.moved(to_gray(frames[0]))  # the first frame is news
    assert not any(change.moved(to_gray(f)) for f in frames[1:])
    phone = frames[-1].copy()
    phone[20:80, 20:60] = 240  # a small bright screen in one corner: 1% of the frame
    assert change.moved(to_gray(phone))


def test_a_still_empty_scene_is_searched_once(zbar_calls, monkeypatch):
    pipe = DecodePipeline(budget_ms=1e9)
    textures = []
    real = pl.code_texture
    monkeypatch.setattr(pl, "code_texture", lambda g: textures.append(1) or real(g))
    reader = BurstReader(pipe)
    for frame in video.empty_room(1.0):  # 30 frames of an empty, noisy room
        assert not reader.feed(frame).codes
    assert len(textures) == 1 and zbar_calls.calls == 0


def test_first_frame_read_after_a_long_still_scene(card_text):
    """A card that appears in a scene still for minutes is read on its very first frame."""
    reader = BurstReader(DecodePipeline())
    for frame in video.empty_room(2.0):
        reader.feed(frame)
    scene = next(video.empty_room(1 / 30, seed=8))
    card = synth.card_image(card_text, module_px=4)
    scene[60 : 60 + card.shape[0], 60 : 60 + card.shape[1]] = card
    assert [c.text for c in reader.feed(scene).codes] == [card_text]


def test_still_hard_code_is_read_by_stacking_and_searched_again_after_motion():
    """A dim card held still that no single frame gives up is read from the average."""
    text = synth.demo_codes(1, seed=3)[0]
    reads_single = reads_stack = 0
    for seed in range(12):
        shots = [synth.render("dim", seed, text=text, variant=k).image for k in range(5)]
        pipe = DecodePipeline(budget_ms=1e9)  # about reads: no time budget on a loaded machine
        single = any(text in [c.text for c in pipe.decode(s).codes] for s in shots)
        reader = BurstReader(pipe)
        got = [reader.feed(s) for s in shots]
        stacked = any(text in [c.text for c in g.codes] for g in got)
        assert single <= stacked  # the reader never loses what a single frame reads
        reads_single += single
        reads_stack += stacked
        if stacked and not single:
            assert any(c.decoder.endswith("+stack") for g in got for c in g.codes)
    assert reads_stack > reads_single


@pytest.mark.parametrize("kind", video.KINDS)
def test_every_sequence_kind_is_read(kind):
    """Each kind of movement in devtools.video is read by the scanner's reader, once the
    whole code is in view (how fast is for bench/bench_video.py)."""
    for seed in range(2):
        seq = video.sequence(kind, seed)
        reader = BurstReader(DecodePipeline(budget_ms=1e9))
        read_at = next(
            (
                i
                for i, f in enumerate(seq.frames())
                if seq.text in [c.text for c in reader.feed(f).codes]
            ),
            None,
        )
        assert read_at is not None, (kind, seed)
        assert read_at >= seq.first_visible - 2  # not before the code could be seen


def test_a_lost_code_is_looked_for_where_it_was(monkeypatch, card_text):
    """zxing-cpp saw a code it could not read, then loses it entirely (the card moved, a
    thumb slid over it): the next frames read that region anyway."""
    from kiosk.scanner import evidence
    from kiosk.scanner.decoders import Candidate
    from kiosk.scanner.pipeline import FrameDecode

    quad = ((100.0, 100.0), (200.0, 100.0), (200.0, 200.0), (100.0, 200.0))

    class Stub:
        public_key = None
        calls = 0

        def decode(self, gray, *, whole_frame=True):
            Stub.calls += 1
            return FrameDecode((), 1.0, (quad,) if Stub.calls == 1 else (), True)

        def choose(self, cands):
            return DecodePipeline().choose(cands)

    looked = []

    def roi(work):
        looked.append(list(work.near_misses))
        return [Candidate(card_text, "pyzbar+roi")] if len(looked) >= 1 else []

    monkeypatch.setattr(evidence, "stage_roi", roi)
    reader = BurstReader(Stub(), stack=False)
    frame = np.zeros((480, 640), np.uint8)
    assert not reader.feed(frame).codes  # the near-miss frame: the pipeline's own ROI failed
    got = reader.feed(frame)  # nothing seen at all in this one
    assert looked == [[quad]]
    assert [(c.text, c.decoder) for c in got.codes] == [(card_text, "pyzbar+roi+track")]
