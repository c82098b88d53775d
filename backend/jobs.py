"""Periodic work each worker runs: refund polling, payment reconciliation, the evening's visit
reminders, the notification outbox, no-show marking. Every step claims its rows first, so several workers can run it."""

from __future__ import annotations

import asyncio
import logging
import time

from backend import metrics
from backend import redis as hot
from backend.audit import stream as audit_stream
from backend.booking.bans import mark_no_shows
from backend.booking.reminders import send_visit_reminders
from backend.notifications.service import dispatch
from backend.outpatient.service import overdue_count
from backend.payments.service import poll_refunds, reconcile_payments

log = logging.getLogger("ehealth.jobs")
TASK_NAME = "periodic-jobs"
STOP_GRACE_S = 10.0


async def run_once(deps) -> dict:
    done = {}
    for name, step in (
        ("refunds", lambda: poll_refunds(deps)),
        ("payments", lambda: reconcile_payments(deps)),
        ("visit_reminders", lambda: send_visit_reminders(deps)),
        ("notifications", lambda: dispatch(deps)),
        ("no_shows", lambda: mark_no_shows(deps)),
        ("store_sweep", lambda: hot.sweep_expired(deps.redis)),
        ("audit_drain", lambda: audit_stream.drain(deps)),
        ("charges_overdue", lambda: _count_overdue_charges(deps)),
    ):
        started = time.perf_counter()
        try:
            done[name] = await step()
        except Exception:  # one failing step must not stop the others, nor the loop
            metrics.JOB_FAILURES.labels(name).inc()
            log.exception("periodic step %s failed", name)
        metrics.JOB_STEP.labels(name).observe(time.perf_counter() - started)
    return done


async def _count_overdue_charges(deps) -> int:
    overdue = await overdue_count(overdue_minutes=deps.settings.payments.charge_ack_overdue_minutes)
    metrics.CHARGES_UNACKNOWLEDGED.set(overdue)
    return overdue


async def run_forever(deps, *, interval_s: float = 5.0, stopping: asyncio.Event | None = None) -> None:
    """Rounds every `interval_s`; once `stopping` is set, the round under way finishes and the
    loop ends (a step is never cut in half by a shutdown)."""
    from backend import metrics

    stopping = stopping or asyncio.Event()
    due = time.monotonic()
    while not stopping.is_set():
        metrics.JOB_LAG.set(max(0.0, time.monotonic() - due))
        await run_once(deps)
        due = time.monotonic() + interval_s
        try:
            await asyncio.wait_for(stopping.wait(), timeout=interval_s)
        except asyncio.TimeoutError:
            pass
    log.info("periodic jobs stopped")


def start(app, deps) -> None:
    # A plain task rather than app.add_task: Sanic cancels its registered tasks as shutdown
    # begins, which would cut a step (a refund call, say) in half.
    app.ctx.jobs_stopping = asyncio.Event()
    app.ctx.jobs_task = asyncio.get_running_loop().create_task(
        run_forever(deps, stopping=app.ctx.jobs_stopping), name=TASK_NAME
    )


async def stop(app, *, grace_s: float = STOP_GRACE_S) -> None:
    """Let the round under way finish (up to `grace_s`), then cancel whatever is left."""
    stopping = getattr(app.ctx, "jobs_stopping", None)
    task = getattr(app.ctx, "jobs_task", None)
    if stopping is None or task is None:
        return
    stopping.set()
    try:
        await asyncio.wait_for(asyncio.shield(task), timeout=grace_s)
    except asyncio.TimeoutError:
        log.warning("periodic jobs did not finish within %.0f s; cancelled", grace_s)
        task.cancel()
