from __future__ import annotations

import json

import cv2

from devtools import synth
from kiosk.cli_decode import run_decode


def test_decode_prints_one_json_line_per_image(tmp_path, capsys, card_text):
    card = tmp_path / "card.png"
    cv2.imwrite(str(card), synth.card_image(card_text, module_px=6))
    empty = tmp_path / "empty.jpg"
    cv2.imwrite(str(empty), synth.render("empty", 1).image)
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not a png")
    missing = tmp_path / "missing.png"

    rc = run_decode([str(card), str(empty), str(junk), str(missing)])
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert rc == 1
    assert [x["file"] for x in lines] == [str(card), str(empty), str(junk), str(missing)]
    for x in lines:
        assert {"file", "ok", "text", "ms", "decoder"} <= set(x)
    assert lines[0]["ok"] is True and lines[0]["text"] == card_text
    assert lines[0]["decoder"] and lines[0]["ms"] >= 0
    assert lines[1]["ok"] is False and lines[1]["text"] is None and "error" not in lines[1]
    assert lines[2]["ok"] is False and "error" in lines[2]
    assert lines[3]["ok"] is False and "error" in lines[3]


def test_decode_foreign_code_is_ok(tmp_path, capsys):
    path = tmp_path / "url.png"
    cv2.imwrite(str(path), synth.card_image("https://example.org", module_px=6))
    assert run_decode([str(path)]) == 0
    (line,) = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert line["ok"] is True and line["text"] == "https://example.org"
