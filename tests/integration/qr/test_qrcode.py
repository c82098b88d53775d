"""Residents' QR codes over HTTP: JSON, PNG (decoded back), SVG; only for own or linked cards."""

import io
import xml.etree.ElementTree as ET
from datetime import datetime

import pytest
import zxingcpp
from PIL import Image

from backend.clock import SHANGHAI, clock
from tests.support import make_id_number, make_phone

pytestmark = pytest.mark.redis_cluster  # also on a local Redis Cluster: the code fetch in steps, spent codes


async def test_dynamic_code_json(resident_with_card):
    clock.freeze(datetime(2026, 12, 1, 9, 0, 30, tzinfo=SHANGHAI))
    me = await resident_with_card()
    r = await me.get(f"/api/v1/cards/{me.card_id}/qrcode?kind=dynamic&format=json")
    assert r.status == 200 and r.headers["cache-control"] == "no-store"
    body = r.json
    assert body["kind"] == "dynamic" and body["payload"].startswith(me.card_id + ":0:")
    assert body["expires_at"] == "2026-12-01T09:02:00+08:00" and body["refresh_in"] == 30
    clock.advance(seconds=30)
    assert (await me.get(f"/api/v1/cards/{me.card_id}/qrcode")).json["payload"] != body["payload"]


async def test_static_code_json(resident_with_card):
    me = await resident_with_card()
    r = await me.get(f"/api/v1/cards/{me.card_id}/qrcode?kind=static")
    assert r.json == {"payload": f"{me.card_id}:1", "kind": "static", "expires_at": None, "refresh_in": None}


async def test_png_decodes_back_to_the_payload_and_svg_is_xml(resident_with_card):
    clock.freeze()
    me = await resident_with_card()
    payload = (await me.get(f"/api/v1/cards/{me.card_id}/qrcode")).json["payload"]
    for size in ("screen", "print"):
        r = await me.get(f"/api/v1/cards/{me.card_id}/qrcode?format=png&size={size}")
        assert r.status == 200 and r.headers["content-type"] == "image/png"
        decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(r.content)))
        assert [d.text for d in decoded] == [payload]
    static = await me.get(f"/api/v1/cards/{me.card_id}/qrcode?kind=static&format=png")
    assert [d.text for d in zxingcpp.read_barcodes(Image.open(io.BytesIO(static.content)))] == [f"{me.card_id}:1"]
    svg = await me.get(f"/api/v1/cards/{me.card_id}/qrcode?format=svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert ET.fromstring(svg.content).tag.endswith("svg")


async def test_member_cards_yes_other_accounts_no(resident_with_card, login):
    me = await resident_with_card()
    member = (await me.add_member(name="张小宝", id_number=make_id_number(), phone=make_phone())).json
    assert (await me.get(f"/api/v1/cards/{member['card']['card_id']}/qrcode?format=png")).status == 200
    stranger = await login()
    for fmt in ("json", "png", "svg"):
        r = await stranger.get(f"/api/v1/cards/{me.card_id}/qrcode?format={fmt}")
        assert r.status == 404 and r.json["error"]["code"] == "not_found"


async def test_bad_query_is_400(resident_with_card):
    me = await resident_with_card()
    assert (await me.get(f"/api/v1/cards/{me.card_id}/qrcode?kind=secret")).status == 400
    assert (await me.get(f"/api/v1/cards/{me.card_id}/qrcode?format=gif")).status == 400


async def test_reissue_gives_a_new_card_id_and_keeps_bookings(resident_with_card, catalog, booked):
    from backend.clock import clock as c
    from tests.integration.conftest import at

    c.freeze(at(datetime(2026, 12, 13).date(), "13:00"))
    me = await resident_with_card()
    s = await catalog.schedule(day=datetime(2026, 12, 20).date())
    booking = await booked(me, s)
    old = me.card_id
    r = await me.post(f"/api/v1/cards/{old}/reissue")
    assert r.status == 200 and r.json["card_id"] != old and len(r.json["card_id"]) == 64
    assert r.json["name_masked"] == "张*"
    new = r.json["card_id"]
    assert [c["card_id"] for c in (await me.get("/api/v1/cards")).json] == [new]
    assert (await me.get(f"/api/v1/cards/{old}/qrcode")).status == 404
    bookings = (await me.get("/api/v1/bookings")).json
    assert [b["id"] for b in bookings] == [booking["id"]] and bookings[0]["card_id"] == new
    # the new card_id books straight away (the hold path's cache follows the reissue)
    s2 = await catalog.schedule(day=datetime(2026, 12, 19).date())
    assert (await me.post("/api/v1/holds", {"schedule_id": s2["id"], "card_id": new})).status == 201


async def test_cold_caches_are_filled_from_the_database(deps, resident_with_card):
    """Redis lost the session and the account's cards: the fetch fills them from the database
    (on a cluster, where the session and the cards are read in two steps, each step's miss)."""
    me = await resident_with_card()
    async for key in deps.redis.scan_iter(match=deps.settings.redis.prefix + "*"):
        await deps.redis.delete(key)
    r = await me.get(f"/api/v1/cards/{me.card_id}/qrcode")
    assert r.status == 200 and r.json["payload"].startswith(me.card_id)
    await me.post("/api/v1/auth/logout")
    assert (await me.get(f"/api/v1/cards/{me.card_id}/qrcode")).status == 401
