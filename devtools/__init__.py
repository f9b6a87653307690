"""Tools for developing and testing the kiosk, not part of the product (not in the wheel):
synthetic camera frames and videos, the UI driver the GUI tests, the screenshot maker and
the benchmarks share, and the helpers the tests, bench/ and make use."""
