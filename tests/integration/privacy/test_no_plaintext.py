"""No plain ID number, phone number or name in the database, in Redis, or in the log."""

import logging

from tortoise import Tortoise

from tests.support import make_id_number, make_phone


async def _dump_database() -> str:
    conn = Tortoise.get_connection("default")
    chunks = []
    for model in Tortoise.apps["models"].values():
        rows = await conn.execute_query_dict(f'SELECT * FROM "{model._meta.db_table}"')
        chunks.append(repr(rows))
    return "\n".join(chunks)


async def _dump_redis(deps) -> str:
    chunks = []
    async for key in deps.redis.scan_iter(match=deps.settings.redis.prefix + "*"):
        kind = await deps.redis.type(key)
        if kind == "string":
            value = await deps.redis.get(key)
        elif kind == "hash":
            value = await deps.redis.hgetall(key)
        elif kind == "set":
            value = await deps.redis.smembers(key)
        elif kind == "zset":
            value = await deps.redis.zrange(key, 0, -1, withscores=True)
        else:
            value = kind
        chunks.append(f"{key} {value!r}")
    return "\n".join(chunks)


async def test_identity_data_never_stored_or_logged_in_clear(login, database, deps, caplog):
    caplog.set_level(logging.DEBUG)
    # Tortoise's SQL statements and their parameters too (caplog puts the level back after)
    caplog.set_level(logging.DEBUG, logger="tortoise")
    me = await login()
    own_id, own_phone = make_id_number(), make_phone()
    member_id, member_phone = make_id_number(), make_phone()
    assert (await me.claim(name="欧阳娜娜", id_number=own_id, phone=own_phone)).status == 201
    assert (await me.add_member(name="司马光明", id_number=member_id, phone=member_phone)).status == 201
    assert (await me.get("/api/v1/cards")).status == 200
    # a refused claim logs nothing in clear either
    bad = member_id[:17] + ("1" if member_id[17] != "1" else "2")
    r = await me.post("/api/v1/cards", {"name": "欧阳娜娜", "id_number": bad, "phone": own_phone, "sms_code": "123456"})
    assert r.status == 400

    stored = await _dump_database() + await _dump_redis(deps)
    logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    secrets = [own_id, own_phone, member_id, member_phone, bad, "欧阳娜娜", "司马光明"]
    for secret in secrets:
        assert secret not in stored, f"stored in clear: {secret[:3]}..."
        assert secret not in logged, f"logged in clear: {secret[:3]}..."
    # the logs were really captured: the SMS went out and is there, masked
    assert own_phone[:3] + "****" + own_phone[-4:] in logged
    assert "INSERT" in logged or "insert" in logged.lower()


async def test_records_note_their_suite_and_key_version(login, database, deps):
    from backend.cards.models import Card

    me = await login()
    await me.claim(name="王芳", id_number=make_id_number(), phone=make_phone())
    card = await Card.get()
    assert card.pii_ref == "aes/1"
    for blob in (card.id_enc, card.name_enc, card.phone_enc):
        assert blob.startswith("aes.1.")


async def test_national_crypto_suite_end_to_end(login, database, deps):
    """With CRYPTO_SUITE=sm the same flows write SM4-GCM records, and AES ones stay readable."""
    from backend.cards.models import Card
    from backend.privacy.crypto import from_settings

    me = await login()
    await me.claim(name="王芳", id_number=make_id_number(), phone=make_phone())
    deps.settings = deps.settings.with_overrides(crypto={"suite": "sm"})
    deps.pii = from_settings(deps.settings)
    member = await me.add_member(name="李雷", id_number=make_id_number(), phone=make_phone())
    assert member.status == 201
    sm_card = await Card.get(card_id=member.json["card"]["card_id"])
    assert sm_card.pii_ref == "sm/1" and sm_card.id_enc.startswith("sm.1.")
    listed = (await me.get("/api/v1/cards")).json
    assert [c["name_masked"] for c in listed] == ["王*", "李*"]
