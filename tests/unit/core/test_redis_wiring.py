"""Redis wiring without a server: the cluster URL, key names and hash tags, and which scripts
may be sent to a cluster."""

import pytest
from redis.crc import key_slot

from backend import redis as hot
from backend.deps import BACKEND

FUSED = {"booking/lua/hold.lua", "qr/lua/fetch.lua"}  # the single-Redis fast path, never sent to a cluster


def test_a_cluster_url_names_its_nodes_and_credentials():
    client = hot.connect("redis+cluster://app:p%40ss@10.0.0.1:7000,10.0.0.2:7001,[::1]:7002", pool_size=8)
    assert hot.is_cluster(client) and hot.mode(client) == "cluster"
    assert sorted(client.nodes_manager.startup_nodes) == ["10.0.0.1:7000", "10.0.0.2:7001", "::1:7002"]
    kwargs = client.nodes_manager.connection_kwargs
    assert kwargs["username"] == "app" and kwargs["password"] == "p@ss"
    assert hot.mode(hot.connect("redis://127.0.0.1:6379/0")) == "redis"


@pytest.mark.parametrize(
    "url",
    [
        "redis+cluster://10.0.0.1",
        "redis+cluster://10.0.0.1:x",
        "redis+cluster://:7000",
        "redis+cluster://10.0.0.1:7000/1",
    ],
)
def test_a_bad_cluster_url_is_refused_at_start(url):
    with pytest.raises(ValueError, match="REDIS_URL"):
        hot.connect(url)


def test_keys_of_one_group_share_a_slot_and_the_prefix_cannot_be_a_tag():
    keys = hot.KeySpace("eh:")
    assert keys("tok", "ab") == "eh:tok:ab"
    assert keys.tagged("s42", "hold", "42h" + "0" * 20) == "eh:{s42}:hold:42h" + "0" * 20
    assert key_slot(keys.tagged("s42", "sh").encode()) == key_slot(keys.tagged("s42", "hold", "x").encode())
    assert key_slot(keys.tagged("s42", "sh").encode()) != key_slot(keys.tagged("s43", "sh").encode())
    for bad in ("eh{", "e}h:", "{eh}:"):
        with pytest.raises(ValueError, match="REDIS_PREFIX"):
            hot.KeySpace(bad)


def test_every_script_but_the_fused_two_is_strict_about_slots():
    """`#!lua` makes Redis refuse, on a cluster, a call touching keys of more than one slot; the
    two fused scripts build keys of several groups themselves and run on one Redis only."""
    scripts = {str(p.relative_to(BACKEND)): p.read_text() for p in BACKEND.glob("*/lua/*.lua")}
    assert FUSED <= set(scripts)
    for name, source in scripts.items():
        assert source.startswith("#!lua\n") == (name not in FUSED), name
        if name not in FUSED:  # its keys come in KEYS, never built from the deployment's prefix
            assert "KEYS[" in source and "prefix" not in source, name


def test_the_embedded_store_gets_the_strict_scripts_without_their_flags_line():
    scripts = hot.Scripts(hot.connect(""))
    scripts.add("x", next(p for p in BACKEND.glob("*/lua/*.lua") if str(p.relative_to(BACKEND)) not in FUSED))
    assert scripts._source["x"].startswith("--#!lua")
