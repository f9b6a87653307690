"""The volunteer kiosk: on-site check-in and points-redemption terminal."""

from kiosk.core.version import VERSION as __version__

__all__ = ["__version__"]
