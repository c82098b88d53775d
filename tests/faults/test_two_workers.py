"""Two workers, one hot schedule: `python -m backend serve --workers 2`
in production mode sharing Redis and PostgreSQL; 1,000 residents hold at once on a session of
100 slots, and one resident's card is sent 20 times at once.

Each test runs twice: on this machine's Redis, and on a Redis Cluster of 3 shards started for
the module (redis-server in cluster mode on free loopback ports, joined with `redis-cli
--cluster create`, in a temporary directory, stopped afterwards), where the service takes each
hold in single-slot steps (backend/booking/store.py, take_in_steps) and every session's keys
live on the shard of its hash tag."""

from collections import Counter, defaultdict

import pytest
import redis.asyncio as aioredis

from backend import redis as hot
from backend.clock import clock
from tests.faults.live import (
    SHARED_REDIS,
    Service,
    hold_burst,
    redis_cli_binary,
    redis_server_binary,
    schedule_key,
    start_cluster,
)

SCHEDULES = 6
MAX_PER_DAY = 3
CROWD = 400  # residents at the sessions of every shard at once


def _cluster_tools_or_skip() -> None:
    try:
        redis_server_binary(), redis_cli_binary()
    except RuntimeError as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module", params=["redis", pytest.param("cluster", marks=pytest.mark.redis_cluster)])
async def service(request, tmp_path_factory):
    workdir = tmp_path_factory.mktemp(f"two_workers_{request.param}")
    nodes = []
    if request.param == "cluster":
        _cluster_tools_or_skip()
        nodes = start_cluster(workdir, shards=3)
        url = "redis+cluster://" + ",".join(f"127.0.0.1:{n.port}" for n in nodes)
    else:
        url = SHARED_REDIS
    svc = Service(workdir, f"live_two_{request.param}", redis_url=url, workers=2, BOOKING_MAX_PER_DAY=str(MAX_PER_DAY))
    svc.node_urls = [n.url for n in nodes] or [SHARED_REDIS]
    await svc.create_database()
    try:
        seeded = await svc.seed(cards=1000, schedules=SCHEDULES, capacity=100)
        await svc.start()
        yield svc, seeded
    finally:
        svc.stop()
        await svc.drop_database()
        if nodes:
            for node in nodes:
                node.stop()
        else:
            r = aioredis.from_url(SHARED_REDIS)
            keys = [k async for k in r.scan_iter(match=svc.env["REDIS_PREFIX"] + "*", count=1000)]
            if keys:
                await r.delete(*keys)
            await r.aclose()


async def used_in_redis(svc: Service, sid: int) -> int:
    r = hot.connect(svc.env["REDIS_URL"])  # a cluster client for the cluster
    try:
        return await r.zcount(schedule_key(svc.env["REDIS_PREFIX"], sid, "sh"), f"({clock.now_ms()}", "+inf")
    finally:
        await r.aclose()


async def keys_by_node(svc: Service) -> dict[str, list[str]]:
    """Every key of this service on each node (a cluster node stores only keys of its own slots)."""
    found = {}
    for url in svc.node_urls:
        r = aioredis.from_url(url, decode_responses=True)
        try:
            found[url] = [k async for k in r.scan_iter(match=svc.env["REDIS_PREFIX"] + "*", count=1000)]
        finally:
            await r.aclose()
    return found


def tag_of(key: str) -> str | None:
    return key[key.index("{") + 1 : key.index("}")] if "{" in key else None


async def test_1000_residents_on_100_slots_get_exactly_100(service):
    svc, seeded = service
    assert len(svc.worker_pids()) >= 2
    sid = seeded["schedules"][0]
    results = await hold_burst(svc.base, [(token, card, sid) for token, card in seeded["residents"]])
    statuses = Counter(status for status, _ in results)
    codes = Counter(body.get("error", {}).get("code") for status, body in results if status != 201)
    assert statuses == {201: 100, 409: 900}, (statuses, codes)
    assert codes == {"sold_out": 900}
    assert len({body["hold_id"] for status, body in results if status == 201}) == 100
    assert await used_in_redis(svc, sid) == 100


async def test_one_card_sent_20_times_at_once_gets_one_hold(service):
    svc, seeded = service
    sid = seeded["schedules"][1]
    token, card = seeded["residents"][0]
    results = await hold_burst(svc.base, [(token, card, sid)] * 20)
    statuses = Counter(status for status, _ in results)
    assert statuses == {201: 1, 409: 19}, statuses
    held = next(body["hold_id"] for status, body in results if status == 201)
    refusals = [body["error"] for status, body in results if status == 409]
    assert all(e["code"] == "already_held" and e["hold_id"] == held for e in refusals)
    assert await used_in_redis(svc, sid) == 1


async def test_sessions_on_every_shard_at_once_each_sell_exactly_their_slots(service):
    """The other sessions, chosen one per shard: 400 residents, some of whom already hold the
    first session, try every one of them at once (1,200 holds, four times each session's
    capacity). Each sells exactly 100, no card ends up with more than MAX_PER_DAY sessions of the
    day (its per-day sets live on its own shard, apart from the sessions'), and every session's
    keys are on one shard, the shards differing."""
    svc, seeded = service
    before = await keys_by_node(svc)
    node_of = {tag_of(k): url for url, keys in before.items() for k in keys if tag_of(k)}
    spread = {}
    for sid in seeded["schedules"][2:]:
        spread.setdefault(node_of[f"s{sid}"], sid)
    if len(svc.node_urls) > 1:
        assert len(spread) == len(svc.node_urls), f"the sessions' keys are not on every shard: {node_of}"
    sessions = sorted(spread.values()) if len(spread) > 1 else seeded["schedules"][2:5]
    attempts = [(token, card, sid) for sid in sessions for token, card in seeded["residents"][:CROWD]]
    results = await hold_burst(svc.base, attempts, connections=300)

    granted = Counter(sid for (_, _, sid), (status, _) in zip(attempts, results) if status == 201)
    refused = Counter(
        (status, body["error"]["code"], body["error"].get("rule")) for status, body in results if status != 201
    )
    assert granted == {sid: 100 for sid in sessions}, (granted, refused)
    assert set(refused) <= {(409, "sold_out", None), (429, "limit_exceeded", "daily_limit")}, refused
    for sid in sessions:
        assert await used_in_redis(svc, sid) == 100

    # per card, the sessions it holds that day (all sessions are on one day), from the stock itself
    per_card = Counter()
    r = hot.connect(svc.env["REDIS_URL"])
    try:
        for sid in seeded["schedules"]:
            per_card.update(
                await r.zrangebyscore(schedule_key(svc.env["REDIS_PREFIX"], sid, "sh"), f"({clock.now_ms()}", "+inf")
            )
    finally:
        await r.aclose()
    assert max(per_card.values()) <= MAX_PER_DAY, per_card.most_common(3)

    # where the keys are: each session's (stock, holders, hold records) together on one shard
    after = await keys_by_node(svc)
    nodes_of = defaultdict(set)
    for url, keys in after.items():
        for k in keys:
            if tag_of(k):
                nodes_of[tag_of(k)].add(url)
    assert all(len(urls) == 1 for urls in nodes_of.values()), {t: u for t, u in nodes_of.items() if len(u) > 1}
    per_node = {url.rsplit(":", 1)[1].split("/")[0]: len(keys) for url, keys in after.items()}
    sessions_per_node = Counter(
        next(iter(nodes_of[f"s{sid}"])).rsplit(":", 1)[1].split("/")[0] for sid in seeded["schedules"]
    )
    hold_records = {
        sid: sum(1 for keys in after.values() for k in keys if tag_of(k) == f"s{sid}" and ":hold:" in k)
        for sid in sessions
    }
    assert all(n >= 100 for n in hold_records.values()), hold_records
    mode = "cluster" if len(svc.node_urls) > 1 else "redis"
    print(
        f"\n{mode}: granted {dict(granted)} of {CROWD} each; refusals {dict(refused)}; "
        f"keys per shard (port: keys) {per_node}; sessions per shard {dict(sessions_per_node)}"
    )
