"""The volunteer kiosk: on-site check-in and points-redemption terminal."""

__version__ = "0.1.0"
