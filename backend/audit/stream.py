"""Scan audit rows through a Redis stream, written to the database in batches.

A scan used to commit its audit row before answering: a database round trip and a commit on
the busiest staff path. Now the row is appended to a Redis stream (batched with the other scans
of the moment, see audit/lua/add.lua) and the scan answers; the drain (a periodic job step, and
every read of the log first) moves rows to the database in one transaction per batch.

Nothing acknowledged is lost: an entry leaves the stream only after the transaction holding its
row has committed (XACK + XDEL after commit). A drainer that dies mid-batch leaves its entries
pending in the consumer group; after CLAIM_IDLE_MS another drainer claims and writes them. (A
crash between commit and acknowledgement can write a row twice; never zero times.)
Redis must persist (appendonly, see docs/operations.md) for "acknowledged" to survive Redis.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime

from redis.exceptions import ResponseError
from tortoise.transactions import in_transaction

from backend import metrics
from backend.clock import clock, from_ms

log = logging.getLogger("ehealth.audit")

GROUP = "db-writer"
BATCH = 200
CLAIM_IDLE_MS = 30_000
CONSUMER = f"{socket.gethostname()}-{os.getpid()}"


def stream_key(deps) -> str:
    return deps.keys("audit", "stream")


async def append(deps, *, terminal, card_pk: int | None, action: str, result: str, at: datetime | None = None) -> str:
    at_ms = int((at or clock.now()).timestamp() * 1000)
    row = [terminal.id, terminal.hospital_id or "", "" if card_pk is None else card_pk, action, result, at_ms]
    return await deps.scripts.batched("audit.add", keys=[stream_key(deps)], args=row)


async def _ensure_group(deps) -> None:
    try:
        await deps.redis.xgroup_create(stream_key(deps), GROUP, id="0", mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def _row(fields: dict):
    from backend.audit.models import AccessLog

    return AccessLog(
        terminal_id=int(fields["t"]),
        hospital_id=int(fields["h"]) if fields.get("h") else None,
        card_id=int(fields["c"]) if fields.get("c") else None,
        action=fields["a"],
        result=fields["r"],
        at=from_ms(int(fields["at"])),
    )


_COLUMNS = ["terminal_id", "hospital_id", "card_id", "action", "result", "at"]


async def _write(entries: list) -> None:
    """One transaction for the batch. On PostgreSQL one COPY of plain tuples: a single statement,
    so atomic on its own, and a third of the database's CPU per row of an INSERT per row in a
    transaction (building 500 model objects would also hold the event loop for tens of ms)."""
    from tortoise import Tortoise

    from backend.audit.models import AccessLog

    conn = Tortoise.get_connection("default")
    if conn.capabilities.dialect != "postgres":
        async with in_transaction() as tx:
            await AccessLog.bulk_create([_row(fields) for _, fields in entries], using_db=tx)
        return
    values = [
        (
            int(f["t"]),
            int(f["h"]) if f.get("h") else None,
            int(f["c"]) if f.get("c") else None,
            f["a"],
            f["r"],
            from_ms(int(f["at"])),
        )
        for _, f in entries
    ]
    async with conn.acquire_connection() as raw:
        await raw.copy_records_to_table("access_logs", records=values, columns=_COLUMNS)


async def drain(deps, *, limit: int = 10_000) -> int:
    """Write pending audit rows to the database; returns how many were written."""
    key = stream_key(deps)
    await _ensure_group(deps)
    written = 0
    while written < limit:
        # entries a dead drainer left behind first, then new ones
        claimed = await deps.redis.xautoclaim(
            key, GROUP, CONSUMER, min_idle_time=CLAIM_IDLE_MS, start_id="0-0", count=BATCH
        )
        entries = list(claimed[1]) if claimed and len(claimed) > 1 else []
        if not entries:
            got = await deps.redis.xreadgroup(GROUP, CONSUMER, {key: ">"}, count=BATCH)
            entries = got[0][1] if got else []
        entries = [(entry_id, fields) for entry_id, fields in entries if fields]  # trimmed ones have no fields
        if not entries:
            break
        await _write(entries)
        ids = [entry_id for entry_id, _ in entries]
        async with deps.redis.pipeline(transaction=True) as pipe:
            pipe.xack(key, GROUP, *ids)
            pipe.xdel(key, *ids)
            await pipe.execute()
        written += len(entries)
    metrics.AUDIT_BACKLOG.set(await deps.redis.xlen(key))
    return written
