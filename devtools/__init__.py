"""Tools for developing and testing the kiosk, not part of the product (not in the wheel):
synthetic camera frames and videos, and the helpers the tests, bench/ and make use."""
