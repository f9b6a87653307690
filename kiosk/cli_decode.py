"""`kiosk decode IMAGE...`: one JSON line per image, as the kiosk's camera would read it."""

from __future__ import annotations

import json
import sys

import cv2

from kiosk.scanner.pipeline import DecodePipeline


def run_decode(paths: list[str]) -> int:
    """Print {"file", "ok", "text", "ms", "decoder"} per image; 0 if every file was readable.

    ``ok`` means a QR code was read, whatever it says. An unreadable file gets ok false
    and an "error" field; the others are still decoded. Several codes in one image:
    the first is in "text", all are in "texts".
    """
    pipeline = DecodePipeline()
    status = 0
    for path in paths:
        record: dict = {"file": path, "ok": False, "text": None, "ms": None, "decoder": None}
        image = cv2.imread(path, cv2.IMREAD_COLOR)
        if image is None:
            record["error"] = "cannot read image"
            status = 1
        else:
            # No time budget: a command-line decode is for a person checking a picture.
            pipeline.budget_ms = 1e9
            result = pipeline.decode(image)
            record["ms"] = round(result.ms, 2)
            if result.codes:
                first = result.codes[0]
                record.update(ok=True, text=first.text, decoder=first.decoder)
                if len(result.codes) > 1:
                    record["texts"] = [c.text for c in result.codes]
        print(json.dumps(record, ensure_ascii=False), flush=True)
    return status


if __name__ == "__main__":
    raise SystemExit(run_decode(sys.argv[1:]))
