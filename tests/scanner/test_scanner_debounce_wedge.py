from __future__ import annotations

from kiosk.core.codes import Refusal
from kiosk.scanner.debounce import Debouncer
from kiosk.scanner.wedge import WedgeDecoder


class FakeClock:
    def __init__(self, t: float = 100.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_debounce_reports_once_while_in_view():
    clock = FakeClock()
    d = Debouncer(2.0, clock)
    assert d.admit("A")
    for _ in range(50):  # held up for 5 s at 10 fps
        clock.t += 0.1
        assert not d.admit("A")
    assert d.admit("B")
    clock.t += 2.5  # taken away, shown again
    assert d.admit("A")


def test_debounce_forgets_old_entries():
    clock = FakeClock()
    d = Debouncer(1.0, clock)
    for i in range(300):
        clock.t += 0.01
        d.admit(f"code{i}")
    clock.t += 5
    assert d.admit("code0")
    assert len(d._last_seen) <= 300


def _type(w: WedgeDecoder, text: str, t0: float, gap: float, enter: bool = True):
    t = t0
    out = None
    for ch in text:
        out = w.feed(ch, t) or out
        t += gap
    if enter:
        out = w.feed("enter", t) or out
    return out, t


def test_wedge_burst_becomes_a_scan(card_text):
    got = []
    w = WedgeDecoder(got.append)
    result, _ = _type(w, card_text, 10.0, 0.004)
    assert result is not None and got == [result]
    assert result.text == card_text and result.is_card and result.source == "wedge"
    assert result.decoder == "wedge"
    assert 0 < result.ms < 1000


def test_wedge_ignores_human_typing():
    got = []
    w = WedgeDecoder(got.append)
    result, _ = _type(w, "hello world", 10.0, 0.12)
    assert result is None and got == []


def test_wedge_drops_human_prefix_before_a_burst(card_text):
    w = WedgeDecoder()
    _, t = _type(w, "abc", 10.0, 0.2, enter=False)
    result, _ = _type(w, card_text, t + 0.5, 0.015)
    assert result.text == card_text


def test_wedge_modifier_keys_do_not_break_the_burst(card_text):
    w = WedgeDecoder()
    t = 1.0
    for ch in card_text:
        if ch.isupper():
            w.feed("shift", t)
        w.feed(ch, t)
        t += 0.002
    assert w.feed("return", t).text == card_text


def test_wedge_slow_enter_or_short_burst_is_not_a_scan():
    w = WedgeDecoder()
    _, t = _type(w, "VK1.V.X", 1.0, 0.003, enter=False)
    assert w.feed("enter", t + 0.5) is None
    result, _ = _type(w, "ab", 5.0, 0.003)
    assert result is None


def test_wedge_foreign_text_is_reported_not_as_card():
    w = WedgeDecoder()
    result, _ = _type(w, "https://example.com", 1.0, 0.005)
    assert not result.is_card and result.refusal is Refusal.NOT_OURS


def test_wedge_pending_uses_its_clock():
    clock = FakeClock(1.0)
    w = WedgeDecoder(clock=clock)
    w.feed("a")
    assert w.pending
    clock.t += 1
    assert not w.pending
