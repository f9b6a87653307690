"""The pure domain: codes, attendance, points, redemption.

Nothing in this package touches Kivy, SQLite, the network or the clock: every
function takes the time it needs as an argument, so the same rules run at the
kiosk, in the ledger and in tests with a fake clock.
"""
