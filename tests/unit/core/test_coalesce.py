"""Look-ups made in the same event-loop turn go out as one query per group; each caller gets
its own answer, a failure reaches every caller of its batch, and a lone call is not delayed."""

import asyncio

import pytest

from backend.coalesce import Coalescer


class Table:
    """fetch_many over a dict, recording the batches it was asked for."""

    def __init__(self, rows: dict, *, fail_group=None):
        self.rows, self.fail_group, self.asked = rows, fail_group, []

    async def fetch_many(self, group, keys):
        self.asked.append((group, sorted(keys)))
        await asyncio.sleep(0)
        if group == self.fail_group:
            raise ConnectionError("database down")
        return {k: self.rows[(group, k)] for k in keys if (group, k) in self.rows}


async def test_calls_of_one_turn_share_a_query_per_group_and_each_gets_its_own_row():
    table = Table({("x", 1): "x1", ("x", 2): "x2", ("y", 1): "y1"})
    loader = Coalescer(table.fetch_many)
    got = await asyncio.gather(
        loader.get("x", 1), loader.get("x", 2), loader.get("y", 1), loader.get("x", 1), loader.get("x", 3)
    )
    assert got == ["x1", "x2", "y1", "x1", None]
    assert sorted(table.asked) == [("x", [1, 2, 3]), ("y", [1])]
    assert loader.batches == 2


async def test_batches_are_capped():
    table = Table({("g", k): k for k in range(10)})
    loader = Coalescer(table.fetch_many, max_batch=4)
    assert await asyncio.gather(*[loader.get("g", k) for k in range(10)]) == list(range(10))
    assert [len(keys) for _, keys in table.asked] == [4, 4, 2]


async def test_a_failed_query_fails_its_callers_only():
    table = Table({("ok", 1): "fine"}, fail_group="down")
    loader = Coalescer(table.fetch_many)
    results = await asyncio.gather(
        loader.get("down", 1), loader.get("down", 2), loader.get("ok", 1), return_exceptions=True
    )
    assert [type(r) for r in results[:2]] == [ConnectionError, ConnectionError] and results[2] == "fine"
    assert await loader.get("ok", 1) == "fine"  # and the loader keeps working


async def test_a_caller_that_went_away_does_not_break_the_others():
    table = Table({("g", 1): "one", ("g", 2): "two"})
    loader = Coalescer(table.fetch_many)
    gone = asyncio.ensure_future(loader.get("g", 1))
    stays = asyncio.ensure_future(loader.get("g", 2))
    await asyncio.sleep(0)
    gone.cancel()
    assert await stays == "two"
    with pytest.raises(asyncio.CancelledError):
        await gone


async def test_a_lone_call_leaves_in_the_turn_it_was_made():
    table = Table({("g", 1): "one"})
    loader = Coalescer(table.fetch_many)
    task = asyncio.ensure_future(loader.get("g", 1))
    for _ in range(8):  # a few loop turns, no timer
        await asyncio.sleep(0)
    assert task.done() and task.result() == "one"
