"""The staff sync page's lines about the ledger's exceptions name only figures the page has:
a message asking for one it never supplies would show staff a blank where the activity or
the item should be."""

from __future__ import annotations

import re

import pytest

from kiosk.ui import flows, i18n
from tests.ui.test_glossary import catalog


def over_capacity_row(activity_id: str, at) -> dict:
    return {
        "exception_id": 7,
        "kind": "over_capacity",
        "kiosk_id": "K-OTHER",
        "volunteer_id": "V000101",
        "created_at": at.isoformat(),
        "detail": {"activity_id": activity_id, "capacity": 1, "confirmed": 1},
    }


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_every_exception_message_names_figures_the_page_supplies(kiosk, clock, lang):
    activity = kiosk.store.activities()[0]
    (row,) = flows.ledger_exceptions(kiosk, [over_capacity_row(activity.activity_id, clock())])
    figures = flows.exception_figures(row, lang, what="")
    assert figures["activity"] == i18n.pick(
        flows.activity_titles(kiosk, activity.activity_id), lang
    )
    assert figures["activity"] and figures["activity"] != activity.activity_id
    asked = {
        key: set(re.findall(r"\{(\w+)\}", text))
        for key, (text, _) in catalog(lang).items()
        if key.startswith("staff.sync.detail.")
    }
    assert (
        asked
        and {k: names - set(figures) for k, names in asked.items() if names - set(figures)} == {}
    )


def test_an_activity_the_kiosk_does_not_know_is_named_by_its_id(kiosk, clock):
    (row,) = flows.ledger_exceptions(kiosk, [over_capacity_row("A-ELSEWHERE", clock())])
    assert flows.exception_figures(row, "en", what="")["activity"] == "A-ELSEWHERE"
