import pytest


@pytest.fixture(params=["one_call", "in_steps"])
def hold_path(request, deps):
    """Holds as one Lua call (a single Redis, hold.lua), or in the steps a Redis Cluster takes,
    one slot each (backend/booking/store.py, take_in_steps), run here on this machine's one
    Redis: the same refusals, limits and stock either way. (tests/faults/test_two_workers.py runs
    the steps on a real 3-shard cluster.)"""
    deps.scripts.cluster = request.param == "in_steps"
    return request.param
