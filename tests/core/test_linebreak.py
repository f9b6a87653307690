from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kiosk.core.linebreak import CLOSING, OPENING, bad_breaks, units, whole_words, wrap


def width_of(text: str) -> float:
    """Chinese characters and fullwidth marks 2, everything else 1 (like a monospace)."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def test_a_comma_never_starts_a_line():
    text = "请出示志愿者码，签到或签退。"
    # Kivy would cut at 14 units: "请出示志愿者码" | "，签到或签退。"
    lines = wrap(text, 14, width_of)
    assert lines == ["请出示志愿者", "码，签到或签", "退。"]
    assert bad_breaks(lines) == []


def test_opening_marks_stay_with_what_they_open():
    lines = wrap("您已报名「读书会」。", 8, width_of)
    assert all(not line.endswith("「") for line in lines)
    assert "".join(lines) == "您已报名「读书会」。"
    assert bad_breaks(lines) == []


def test_latin_words_and_numbers_are_never_cut_when_they_fit():
    assert units("共 12 小时，V000102。") == ["共", " ", "12", " ", "小", "时，", "V000102。"]
    lines = wrap("Signed in at 09:05, thank you", 12, width_of)
    assert lines == ["Signed in at", "09:05, thank", "you"]


def test_a_kept_word_moves_down_whole():
    text = "將義工卡對準方框，或用掃描器掃描"
    # 13 characters a line: without the word kept, 掃描 ends the line and 器 starts the next
    assert wrap(text, 26, width_of) == ["將義工卡對準方框，或用掃描", "器掃描"]
    keep = whole_words(["掃描器", "義工卡", "kiosk", "器", "自助 機"])
    assert keep == ("掃描器", "義工卡")
    assert wrap(text, 26, width_of, keep) == ["將義工卡對準方框，或用", "掃描器掃描"]
    # a kept word keeps its closing mark, and is still cut where it is wider than a line
    assert units("用掃描器。", ("掃描器",)) == ["用", "掃描器。"]
    assert wrap("掃描器", 4, width_of, ("掃描器",)) == ["掃描", "器"]


def test_own_newlines_are_kept_and_a_too_long_word_is_cut():
    assert wrap("一\n\n二", 10, width_of) == ["一", "", "二"]
    assert wrap("ABCDEFGHIJ", 4, width_of) == ["ABCD", "EFGH", "IJ"]


def test_bad_breaks_finds_what_kivy_would_draw():
    assert bad_breaks(["请出示志愿者码", "，签到"]) == ["，签到"]
    assert bad_breaks(["您已报名「", "读书会」"]) == ["您已报名「"]
    assert bad_breaks(["Hello", ", world"]) == []  # not Chinese text


chinese = st.text(
    alphabet=st.sampled_from(
        list("志愿服务时长积分签到报名活动") + list("，。、；：？！）」（「 ")
    ),
    max_size=80,
)


@given(chinese, st.integers(6, 40))
def test_no_line_starts_with_a_closing_mark_and_nothing_is_lost(text, width):
    lines = wrap(text, width, width_of)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    for line in lines[1:]:
        # a unit (opening marks + one character + closing marks) wider than the line is
        # the only way to break the rule, and only then
        if line and line[0] in CLOSING:
            assert any(width_of(u) > width for u in units(text))
    for line in lines:
        if width_of(line) > width:
            assert any(width_of(u) > width for u in units(text))
    for line in lines[:-1]:
        if line and line[-1] in OPENING:
            assert any(width_of(u) > width for u in units(text))
