"""One module per area of the console; each has its ``router``."""

from __future__ import annotations

from fastapi import APIRouter

from . import (
    accounts,
    activities,
    audit,
    auth,
    catalog,
    corrections,
    exceptions,
    kiosks,
    reports,
    settings,
    staff_cards,
    today,
    volunteers,
)

router = APIRouter(prefix="/console", include_in_schema=False)
for _area in (
    auth,
    today,
    kiosks,
    volunteers,
    activities,
    catalog,
    exceptions,
    corrections,
    reports,
    audit,
    accounts,
    staff_cards,
    settings,
):
    router.include_router(_area.router)
