"""The touchscreen app. ``kiosk.ui.env.prepare()`` must run before any Kivy import:
Kivy reads its configuration when its modules are first imported."""
