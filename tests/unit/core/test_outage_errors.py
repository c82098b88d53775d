"""Which exceptions the edge answers as a 503 outage (Redis or PostgreSQL unreachable) rather
than a 500: the classes the live fault tests (tests/faults) meet, and bugs that must stay 500s."""

import asyncpg
import pytest
import redis.exceptions as redis_errors
from tortoise.exceptions import DBConnectionError, IntegrityError, OperationalError

from backend.edge import _outage


@pytest.mark.parametrize(
    "exc, outage",
    [
        (redis_errors.ConnectionError("Connection refused"), "store"),
        (redis_errors.TimeoutError("Timeout reading from socket"), "store"),
        (redis_errors.BusyLoadingError("Redis is loading the dataset in memory"), "store"),
        # a Redis Cluster failing over: the shard is down, or its slots are moving
        (redis_errors.ClusterDownError("CLUSTERDOWN The cluster is down"), "store"),
        (redis_errors.TryAgainError("TRYAGAIN Multiple keys request during rehashing of slot"), "store"),
        (redis_errors.MaxConnectionsError("Too many connections"), "store"),
        (DBConnectionError("pool closed"), "database"),
        (asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"), "database"),
        (asyncpg.exceptions.CannotConnectNowError("the database system is starting up"), "database"),
        (
            asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
            "database",
        ),
        (asyncpg.exceptions.TooManyConnectionsError("too many clients"), "database"),
        (ConnectionRefusedError(111, "Connect call failed"), "database"),
        # not outages: a script error, a constraint, a bug
        (redis_errors.ResponseError("ERR Error running script"), None),
        (redis_errors.RedisClusterException("all keys must map to the same key slot"), None),
        (IntegrityError("duplicate key"), None),
        (OperationalError("syntax error"), None),
        (KeyError("x"), None),
        (ValueError("bad"), None),
    ],
)
def test_outage_kind(exc, outage):
    assert _outage(exc) == outage
