"""The scan path's cost: terminals cached per worker (a change on one worker applies on all at the
next request), audit rows through a Redis stream that loses nothing acknowledged."""

import asyncio

import pytest

from backend.app import create_app
from backend.audit import stream as audit_stream
from backend.audit.models import AccessLog
from backend.clock import clock
from backend.deps import build_deps
from backend.staff.models import Terminal as TerminalRow
from tests.integration.conftest import Terminal, dynamic_code

pytestmark = pytest.mark.redis_cluster  # also on a local Redis Cluster: nonces, terminal generation, audit stream


@pytest.fixture
async def second_worker(deps, standin, make_client):
    """Another worker process: its own deps (own terminal cache), the same Redis and database."""
    other = build_deps(deps.settings, deps.redis, standin=standin)
    await other.scripts.load()
    client = await make_client(create_app(deps=other))
    yield client
    await other.pay.aclose()


@pytest.fixture
def terminal_loads(monkeypatch):
    calls = []
    real = TerminalRow.get_or_none

    def counting(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(TerminalRow, "get_or_none", counting)
    return calls


async def test_a_worker_reads_the_terminal_once_not_per_scan(catalog, terminal_for, resident_with_card, terminal_loads):
    clock.freeze()
    t = await terminal_for(await catalog.hospital())
    me = await resident_with_card()
    for _ in range(5):
        assert (await t.scan(f"{me.card_id}:1")).status == 200
    assert len(terminal_loads) == 1


async def test_disable_and_rotate_on_one_worker_apply_on_another_at_once(
    catalog, terminal_for, resident_with_card, second_worker
):
    clock.freeze()
    t = await terminal_for(await catalog.hospital())
    on_b = Terminal(
        second_worker, {"id": t.id, "terminal_code": t.code, "secret": t.secret, "hospital_id": t.hospital_id}
    )
    me = await resident_with_card()
    assert (await on_b.scan(f"{me.card_id}:1")).status == 200  # worker B has it cached now

    r = await catalog.admin("POST", f"/admin/terminals/{t.id}/disable")  # through worker A
    assert r.status == 200
    refused = await on_b.scan(f"{me.card_id}:1")
    assert refused.status == 403 and refused.json["error"]["code"] == "terminal_disabled"
    assert (await catalog.admin("POST", f"/admin/terminals/{t.id}/enable")).status == 200
    assert (await on_b.scan(f"{me.card_id}:1")).status == 200

    rotated = await catalog.admin("POST", f"/admin/terminals/{t.id}/rotate")
    old = await on_b.scan(f"{me.card_id}:1")
    assert old.status == 401 and old.json["error"]["code"] == "bad_signature"  # as on a worker that never cached it
    on_b.secret = rotated.json["secret"]
    assert (await on_b.scan(f"{me.card_id}:1")).status == 200


async def test_a_scan_is_in_the_residents_history_at_once(catalog, terminal_for, resident_with_card):
    clock.freeze()
    t = await terminal_for(await catalog.hospital())
    me = await resident_with_card()
    assert (await t.scan(await dynamic_code(me))).status == 200
    assert await AccessLog.all().count() == 0  # not yet in the table: in the stream
    history = (await me.get(f"/api/v1/cards/{me.card_id}/access-log")).json
    assert [h["result"] for h in history] == ["ok"]


async def test_a_drainer_that_dies_mid_batch_loses_nothing(
    deps, catalog, terminal_for, resident_with_card, monkeypatch
):
    clock.freeze()
    t = await terminal_for(await catalog.hospital())
    me = await resident_with_card()
    for _ in range(7):
        assert (await t.scan(f"{me.card_id}:1")).status == 200

    # a drainer on another host reads the batch and dies before writing it
    await audit_stream._ensure_group(deps)
    taken = await deps.redis.xreadgroup(
        audit_stream.GROUP, "crashed-host-1", {audit_stream.stream_key(deps): ">"}, count=100
    )
    assert len(taken[0][1]) == 7
    assert await audit_stream.drain(deps) == 0  # still the dead one's, not idle long enough

    # a drainer whose database write fails keeps nothing back either
    monkeypatch.setattr(audit_stream, "CLAIM_IDLE_MS", 0)
    real_write = audit_stream._write

    async def failing(entries):
        raise ConnectionError("database went away")

    monkeypatch.setattr(audit_stream, "_write", failing)
    with pytest.raises(ConnectionError):
        await audit_stream.drain(deps)
    assert await AccessLog.all().count() == 0
    monkeypatch.setattr(audit_stream, "_write", real_write)

    assert await audit_stream.drain(deps) == 7  # claimed from the dead consumer and written
    assert await AccessLog.filter(result="ok", terminal_id=t.id).count() == 7
    assert await deps.redis.xlen(audit_stream.stream_key(deps)) == 0
    assert await audit_stream.drain(deps) == 0  # and written once


@pytest.mark.postgres_only
async def test_concurrent_scans_and_drainers_write_every_row_once(
    deps, catalog, terminal_for, resident_with_card, second_worker
):
    clock.freeze()
    t = await terminal_for(await catalog.hospital())
    me = await resident_with_card()

    async def scans(n):
        for _ in range(n):
            assert (await t.scan(f"{me.card_id}:1")).status == 200

    async def drains():
        for _ in range(10):
            await audit_stream.drain(deps)
            await asyncio.sleep(0.01)

    await asyncio.gather(scans(40), scans(40), drains(), drains())
    await audit_stream.drain(deps)
    assert await AccessLog.filter(terminal_id=t.id).count() == 80
