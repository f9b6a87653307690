"""The reasons staff pick from on the kiosk, as the codes events carry in ``payload.reason``.
The kiosk's screens name them through its catalogs (``staff.reason.*``,
``staff.correct.reasons.*``, ``staff.points.reasons.*``); the ledger's 台账 names them too."""

from __future__ import annotations

STOCK = ("delivery", "count_correction", "damaged", "expired")
CORRECTION = ("forgot_sign_out", "wrong_time", "other")
POINTS = ("bonus", "makeup", "mistake", "other")
