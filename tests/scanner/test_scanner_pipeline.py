"""Decoding generated frames: what must always read, and what must never be reported."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from devtools import synth
from kiosk.core.codes import Refusal, sign
from kiosk.scanner import decoders
from kiosk.scanner.decoders import Candidate
from kiosk.scanner.pipeline import DecodePipeline, Work, stage_zxing, to_gray

# Categories the pipeline reads on every generated frame (see bench/bench_decode.py).
MUST_READ = (
    "nominal",
    "far",
    "close",
    "tilt",
    "rotation",
    "motion_blur",
    "overexposed",
    "shadow",
    "jpeg",
    "moire",
    "inverted",
)
# Categories where some frames defeat every decoder: the pipeline must not do worse
# than zxing-cpp alone, the better single decoder on these frames.
HARD = ("blur", "dim", "glare", "noise", "occlusion")
SEEDS = range(3)


@pytest.fixture(scope="module")
def pipe() -> DecodePipeline:
    return DecodePipeline(budget_ms=1e9)  # tests judge reads, not speed


@pytest.mark.parametrize("category", MUST_READ)
def test_must_read_categories(pipe, category):
    for seed in SEEDS:
        frame = synth.render(category, seed)
        got = pipe.decode(frame.image)
        assert [c.text for c in got.codes] == list(frame.texts), (category, seed)
        assert got.codes[0].is_card


def test_hard_categories_at_least_as_good_as_zxing_alone(pipe):
    ours = theirs = 0
    for category in HARD:
        for seed in range(4):
            frame = synth.render(category, seed)
            texts = [c.text for c in pipe.decode(frame.image).codes]
            assert set(texts) <= set(frame.texts), "a wrong payload"
            ours += frame.texts[0] in texts
            theirs += frame.texts[0] in [c.text for c in decoders.zxing(to_gray(frame.image))]
    assert ours >= theirs
    assert ours > 0


def test_large_frames(pipe):
    frame = synth.render("nominal", 5, (1280, 720))
    assert [c.text for c in pipe.decode(frame.image).codes] == list(frame.texts)


@pytest.mark.parametrize("seed", range(6))
def test_no_code_no_read(pipe, seed):
    assert not pipe.decode(synth.render("empty", seed).image).codes
    assert not pipe.decode(synth.noise_frame(seed)).codes
    assert not pipe.decode(synth.background_frame(seed=seed)).codes


def test_flat_and_tiny_frames_do_not_crash(pipe):
    assert not pipe.decode(np.zeros((480, 640, 3), np.uint8)).codes
    assert not pipe.decode(np.full((8, 8), 255, np.uint8)).codes


def _paste(scene: np.ndarray, card: np.ndarray, x: int, y: int) -> None:
    scene[y : y + card.shape[0], x : x + card.shape[1]] = card


def test_several_codes_in_one_frame(pipe, keypair):
    a = sign(keypair.private_key, "V", "V000001", 1)
    b = sign(keypair.private_key, "S", "S000002", 1)
    scene = synth.background_frame((1280, 720))
    _paste(scene, synth.card_image(a, module_px=4), 20, 100)
    _paste(scene, synth.card_image(b, module_px=4), 640, 300)
    got = pipe.decode(scene)
    assert {c.text for c in got.codes} == {a, b}
    assert all(c.is_card for c in got.codes)


def test_foreign_code_is_reported_as_not_ours(pipe):
    scene = synth.background_frame()
    _paste(scene, synth.card_image("https://example.com/pay?id=42", module_px=5), 40, 40)
    (code,) = pipe.decode(scene).codes
    assert code.text == "https://example.com/pay?id=42"
    assert not code.is_card
    assert code.refusal is Refusal.NOT_OURS


def test_inverted_code(pipe, card_text):
    scene = synth.background_frame()
    _paste(scene, synth.card_image(card_text, module_px=4, inverted=True), 40, 40)
    assert [c.text for c in pipe.decode(scene).codes] == [card_text]


def _stage(*texts: str, decoder: str = "stub"):
    def stage(work: Work) -> list[Candidate]:
        return [Candidate(t, decoder) for t in texts]

    return stage


def test_bogus_read_never_becomes_a_card(card_text):
    bogus = card_text[:-3] + "!!!"  # looks like ours, does not parse
    pipe = DecodePipeline(stages=(_stage(bogus), _stage(card_text, decoder="second")))
    (code,) = pipe.decode(np.zeros((10, 10), np.uint8)).codes
    assert code.text == card_text and code.decoder == "second"

    only_bogus = DecodePipeline(stages=(_stage(bogus),))
    (code,) = only_bogus.decode(np.zeros((10, 10), np.uint8)).codes
    assert not code.is_card and code.refusal is Refusal.MALFORMED


def test_public_key_prefers_the_reading_that_verifies(keypair, card_text):
    # Same id, signature altered in a way that still parses: one decoder misread.
    sig = card_text.rsplit(".", 1)[1]
    misread = card_text[: -len(sig)] + ("A" if sig[0] != "A" else "B") + sig[1:]
    other_card = sign(keypair.private_key, "V", "V000999", 1)
    stages = (_stage(misread, card_text, other_card),)
    with_key = DecodePipeline(public_key=keypair.public_key, stages=stages)
    assert {c.text for c in with_key.decode(np.zeros((4, 4), np.uint8)).codes} == {
        card_text,
        other_card,
    }
    without_key = DecodePipeline(stages=stages)
    assert len(without_key.decode(np.zeros((4, 4), np.uint8)).codes) == 3


def test_stage_zxing_reports_near_misses_for_damaged_codes():
    frame = synth.render("occlusion", 0).image
    work = Work(to_gray(frame))
    if not stage_zxing(work):
        assert work.near_misses


def test_synth_is_deterministic():
    a = synth.render("glare", 11)
    b = synth.render("glare", 11)
    assert np.array_equal(a.image, b.image)
    assert a.image.shape == (480, 640, 3)
    assert synth.render("nominal", 3, (1280, 720)).image.shape == (720, 1280, 3)


def test_gray_input_accepted(pipe):
    frame = synth.render("nominal", 1)
    gray = cv2.cvtColor(frame.image, cv2.COLOR_BGR2GRAY)
    assert [c.text for c in pipe.decode(gray).codes] == list(frame.texts)
