"""Periodic work each worker runs: refund polling, payment reconciliation, the notification
outbox, no-show marking. Every step claims its rows first, so several workers can run it."""

from __future__ import annotations

import asyncio
import logging

from backend.booking.service import mark_no_shows
from backend.notifications.service import dispatch
from backend.payments.service import poll_refunds, reconcile_payments

log = logging.getLogger("ehealth.jobs")


async def run_once(deps) -> dict:
    done = {}
    for name, step in (
        ("refunds", lambda: poll_refunds(deps)),
        ("payments", lambda: reconcile_payments(deps)),
        ("notifications", lambda: dispatch(deps)),
        ("no_shows", lambda: mark_no_shows(deps)),
    ):
        try:
            done[name] = await step()
        except Exception:  # one failing step must not stop the others, nor the loop
            log.exception("periodic step %s failed", name)
    return done


async def run_forever(deps, *, interval_s: float = 5.0) -> None:
    while True:
        await run_once(deps)
        await asyncio.sleep(interval_s)
