"""Single frames every decoder failed on (issue 14, item 5): defocus past half a module
undone by deconvolution, and a thumb over the code read by erasure decoding, without
a wrong read or a card made to look forged."""

from __future__ import annotations

import numpy as np
import pytest
import segno
import zxingcpp

from devtools import synth
from kiosk.core.codes import sign
from kiosk.scanner import erasure
from kiosk.scanner import pipeline as pl
from kiosk.scanner.pipeline import DecodePipeline, to_gray


def _without(stage):
    return DecodePipeline(
        budget_ms=1e9, stages=tuple(s for s in pl.DEFAULT_STAGES if s is not stage)
    )


@pytest.fixture(scope="module")
def full():
    return DecodePipeline(budget_ms=1e9)


@pytest.mark.parametrize("seed", [0, 1, 4])
def test_deconvolution_reads_blur_no_other_stage_reads(full, seed):
    frame = synth.render("blur", seed)
    assert frame.texts[0] not in [
        c.text for c in _without(pl.stage_deblur).decode(frame.image).codes
    ]
    (code,) = full.decode(frame.image).codes
    assert code.text == frame.texts[0] and code.decoder.endswith("+deblur")


@pytest.mark.parametrize("seed", [0, 4, 6])
def test_erasures_read_a_code_under_a_thumb(full, seed):
    frame = synth.render("thumb", seed)
    assert frame.params["occlusion"] >= 0.15  # a thumb over 15 % of the code
    assert frame.texts[0] not in [
        c.text for c in _without(pl.stage_erasures).decode(frame.image).codes
    ]
    (code,) = full.decode(frame.image).codes
    assert (code.text, code.decoder) == (frame.texts[0], "erasures")


def _quad(gray):
    (found,) = zxingcpp.read_barcodes(gray, formats=zxingcpp.BarcodeFormat.QRCode)
    p = found.position
    return [(c.x, c.y) for c in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)]


@pytest.mark.parametrize("error", ["l", "m", "q", "h"])
def test_own_grid_reader_agrees_with_segno_at_every_level(error, card_text):
    """The sampler, format, block layout and segment parser against codes made by the
    library the cards are printed with."""
    modules = synth.qr_modules(card_text, error)
    img = np.kron(1 - np.pad(modules, 4), np.ones((5, 5), np.uint8)).astype(np.uint8) * 255
    assert erasure.read(img, _quad(img)) == card_text
    mixed = "HELLO 123 kiosk 志愿"  # alphanumeric, numeric and byte segments
    img = np.kron(1 - np.pad(synth.qr_modules(mixed, error), 4), np.ones((5, 5), np.uint8))
    img = img.astype(np.uint8) * 255
    assert erasure.read(img, _quad(img)) == mixed


def test_too_much_hidden_is_no_read_rather_than_a_wrong_one(card_text):
    modules = synth.qr_modules(card_text, "m")
    img = np.kron(1 - np.pad(modules, 4), np.ones((5, 5), np.uint8)).astype(np.uint8) * 255
    quad = _quad(img)
    n = modules.shape[0]
    a, b = (4 + n // 3) * 5, (4 + n - 9) * 5
    img[a:b, a:b] = 200  # a flat patch over far more than the correction can restore
    assert erasure.read(img, quad) is None


def test_a_read_of_ours_that_fails_its_signature_is_dropped(monkeypatch, keypair, card_text):
    forged = sign(keypair.private_key, "V", "V000999", 1)[:-4] + "AAAA"
    monkeypatch.setattr(erasure, "read", lambda gray, quad: forged)
    work = pl.Work(np.zeros((10, 10), np.uint8), [((0, 0), (9, 0), (9, 9), (0, 9))])
    assert [c.text for c in pl.stage_erasures(work)] == [forged]  # no key: nothing to check
    work.public_key = keypair.public_key
    assert pl.stage_erasures(work) == []
    monkeypatch.setattr(erasure, "read", lambda gray, quad: card_text)
    assert [c.text for c in pl.stage_erasures(work)] == [card_text]


def test_no_hard_case_stage_reads_anything_on_empty_or_noise(full):
    for seed in range(4):
        assert not full.decode(synth.render("empty", seed).image).codes
        assert not full.decode(synth.noise_frame(seed)).codes
    gray = to_gray(synth.render("empty", 0).image)
    assert erasure.read(gray, [(100, 100), (300, 100), (300, 300), (100, 300)]) is None


def test_segno_tables_still_have_what_the_reader_uses():
    """erasure.py reads segno's encoder tables (not its public API): a release that moved
    them fails here, not on a kiosk."""
    qr = segno.make("x", error="m", micro=False, boost_error=False)
    assert erasure.layout(qr.version).size == 17 + 4 * qr.version
    assert len(erasure._blocks(6, segno.consts.ERROR_LEVEL_M)) == 4
