"""The demo catalog's pictures show the thing (a bag of rice, a bottle of oil, a towel...),
drawn by the project: a new user's first look at the product is the demo."""

from __future__ import annotations

from PIL import Image, ImageChops, ImageStat

from sync.ledger.ops import demo
from sync.ledger.ops.demo_pictures import DRAWINGS, picture


def _differ(a: Image.Image, b: Image.Image) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean)


def test_every_demo_reward_has_a_drawing_of_its_own():
    assert {item["item_id"] for item in demo.CATALOG} <= set(DRAWINGS)
    pictures = [demo.item_image(item, 128) for item in demo.CATALOG]
    assert all(p.size == (128, 128) and p.mode == "RGB" for p in pictures)
    # each one a drawing, not the tile with a first character that an unknown item gets
    for item, pic in zip(demo.CATALOG, pictures, strict=True):
        ground = pic.getpixel((2, 2))
        fallback = picture("no-such-item", item["names"], ground, 128)
        assert _differ(pic, fallback) > 5, item["item_id"]
        assert len(pic.getcolors(128 * 128)) > 20, item["item_id"]  # shapes and shading
    # and no two alike
    for i, a in enumerate(pictures):
        for b in pictures[i + 1 :]:
            assert _differ(a, b) > 5


def test_an_item_without_a_drawing_gets_its_first_character():
    one = picture("new-item", {"zh-Hans": "茶叶"}, (240, 240, 240), 96)
    other = picture("new-item", {"zh-Hans": "面粉"}, (240, 240, 240), 96)
    assert one.size == (96, 96) and _differ(one, other) > 1
