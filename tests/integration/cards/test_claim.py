import asyncio
from datetime import timedelta

import pytest

from backend.cards.models import Card
from backend.clock import clock
from tests.support import make_id_number, make_phone, masked_id_number, masked_phone

pytestmark = pytest.mark.redis_cluster  # also on a local Redis Cluster: SMS codes and the account's card set


async def test_claim_then_list_shows_masked_card(login, database):
    me = await login()
    idn, phone = make_id_number(), make_phone()
    r = await me.claim(name="张三丰", id_number=idn, phone=phone)
    assert r.status == 201, r.json
    card = r.json
    assert set(card) == {
        "card_id",
        "name_masked",
        "id_masked",
        "phone_masked",
        "is_self",
        "relation",
        "owner",
        "status",
    }
    assert card["owner"] == "self"
    assert len(card["card_id"]) == 64 and int(card["card_id"], 16) >= 0
    assert card["name_masked"] == "张*丰"
    assert card["id_masked"] == masked_id_number(idn) == idn[:4] + "*" * 10 + idn[-4:]
    assert card["phone_masked"] == masked_phone(phone) == phone[:3] + "****" + phone[-4:]
    assert card["is_self"] is True and card["relation"] == "self" and card["status"] == "active"
    listed = await me.get("/api/v1/cards")
    assert listed.status == 200 and listed.json == [card]
    one = (await me.get(f"/api/v1/cards/{card['card_id']}")).json
    assert (one["name_masked"], one["id_masked"], one["phone_masked"]) == (
        "张*丰",
        masked_id_number(idn),
        masked_phone(phone),
    )


async def test_card_id_reveals_nothing_about_the_person(login, database):
    me = await login()
    idn = make_id_number()
    r = await me.claim(name="王芳", id_number=idn, phone=make_phone())
    card_id = r.json["card_id"]
    # the region, the birth date and the last six characters: pieces long enough that 64 random
    # hex digits hold one by chance less than once in 100,000 claims (four digits: once in 1,000)
    for piece in (idn[:6], idn[6:14], idn[-6:]):
        assert piece not in card_id


async def test_claiming_again_returns_the_same_card_with_200(login, database):
    me = await login()
    idn, phone = make_id_number(), make_phone()
    first = await me.claim(name="李小明", id_number=idn, phone=phone)
    clock.freeze()
    clock.advance(seconds=61)
    again = await me.claim(name="李小明", id_number=idn, phone=phone)
    assert again.status == 200
    assert again.json["card_id"] == first.json["card_id"]
    assert await Card.all().count() == 1


async def test_claiming_again_with_another_phone_does_not_move_the_card(login, database, deps):
    me = await login()
    idn, phone = make_id_number(), make_phone()
    await me.claim(name="李小明", id_number=idn, phone=phone)
    r = await me.claim(name="李小明", id_number=idn, phone=make_phone())
    assert r.status == 409 and r.json["error"]["code"] == "phone_mismatch"
    assert r.json["error"]["phone_masked"] == phone[:3] + "****" + phone[-4:]
    card = await Card.get()
    assert deps.pii.decrypt(card.phone_enc, field="phone") == phone


async def test_someone_elses_own_card_cannot_be_claimed(login, database):
    alice, mallory = await login(), await login()
    idn, alices_phone = make_id_number(), make_phone()
    assert (await alice.claim(name="张三", id_number=idn, phone=alices_phone)).status == 201
    r = await mallory.claim(name="张三", id_number=idn, phone=make_phone())
    assert r.status == 409 and r.json["error"]["code"] == "already_claimed"
    # the same person can be linked as a family member, with the code sent to the card's phone
    r = await mallory.add_member(name="张三", id_number=idn, phone=make_phone(), relation="parent")
    assert r.status == 409 and r.json["error"]["code"] == "phone_mismatch"
    clock.advance(seconds=61)  # one code a minute per phone
    r = await mallory.add_member(name="张三", id_number=idn, phone=alices_phone, relation="parent")
    assert r.status == 201


async def test_a_second_own_card_is_refused(login, database):
    me = await login()
    assert (await me.claim(name="张三", id_number=make_id_number(), phone=make_phone())).status == 201
    r = await me.claim(name="李四", id_number=make_id_number(), phone=make_phone())
    assert r.status == 409 and r.json["error"]["code"] == "self_card_exists"


async def test_name_must_match_the_registered_identity(login, database):
    parent, child = await login(), await login()
    idn, registered = make_id_number(), make_phone()
    assert (await parent.add_member(name="赵小四", id_number=idn, phone=registered)).status == 201
    clock.advance(seconds=61)
    r = await child.claim(name="赵大四", id_number=idn, phone=registered)
    assert r.status == 409 and r.json["error"]["code"] == "identity_mismatch"
    assert "phone_masked" not in r.json["error"]  # a wrong name learns nothing of the phone
    clock.advance(seconds=61)
    r = await child.claim(name="赵小四", id_number=idn, phone=registered)
    assert r.status == 201 and r.json["is_self"] is True


async def test_bad_check_digit_is_400_and_nothing_written(login, database, deps):
    me = await login()
    idn = make_id_number()
    bad = idn[:17] + ("0" if idn[17] != "0" else "1")
    r = await me.claim(name="张三", id_number=bad, phone=make_phone())
    assert r.status == 400
    assert r.json["error"]["code"] == "invalid_id_number"
    assert "check digit" in r.json["error"]["message"]
    assert bad not in str(r.json)
    assert await Card.all().count() == 0


async def test_impossible_birth_date_is_400(login, database):
    from backend.cards.rules import check_digit

    me = await login()
    body = "11010119990231123"
    r = await me.claim(name="张三", id_number=body + check_digit(body), phone=make_phone())
    assert r.status == 400 and "real date" in r.json["error"]["message"]
    assert await Card.all().count() == 0


async def test_sms_code_is_required_and_single_use(login, database):
    me = await login()
    idn, phone = make_id_number(), make_phone()
    r = await me.post("/api/v1/cards", {"name": "张三", "id_number": idn, "phone": phone, "sms_code": "000000"})
    assert r.status == 400 and r.json["error"]["code"] == "sms_code_expired"
    code = await me.sms_code(phone, "claim_card")
    assert (
        await me.post("/api/v1/cards", {"name": "张三", "id_number": idn, "phone": phone, "sms_code": code})
    ).status == 201
    other = await login()
    r = await other.post("/api/v1/cards", {"name": "张三", "id_number": idn, "phone": phone, "sms_code": code})
    assert r.status in (400, 409)


async def test_code_for_another_number_or_purpose_does_not_work(login, database):
    me = await login()
    phone, other_phone = make_phone(), make_phone()
    code = await me.sms_code(other_phone, "claim_card")
    r = await me.post(
        "/api/v1/cards", {"name": "张三", "id_number": make_id_number(), "phone": phone, "sms_code": code}
    )
    assert r.status == 400
    family_code = await me.sms_code(phone, "add_family")
    r = await me.post(
        "/api/v1/cards", {"name": "张三", "id_number": make_id_number(), "phone": phone, "sms_code": family_code}
    )
    assert r.status == 400


async def test_sixth_wrong_sms_code_kills_it(login, database):
    me = await login()
    idn, phone = make_id_number(), make_phone()
    code = await me.sms_code(phone, "claim_card")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1, 0):
        r = await me.post("/api/v1/cards", {"name": "张三", "id_number": idn, "phone": phone, "sms_code": wrong})
        assert r.status == 400 and r.json["error"]["code"] == "invalid_sms_code"
        assert r.json["error"]["attempts_left"] == left
    r = await me.post("/api/v1/cards", {"name": "张三", "id_number": idn, "phone": phone, "sms_code": code})
    assert r.status == 400 and r.json["error"]["code"] == "sms_code_dead"
    assert await Card.all().count() == 0


async def test_sms_code_expires_after_five_minutes(login, database):
    me = await login()
    idn, phone = make_id_number(), make_phone()
    clock.freeze()
    code = await me.sms_code(phone, "claim_card")
    clock.advance(timedelta(minutes=5))
    r = await me.post("/api/v1/cards", {"name": "张三", "id_number": idn, "phone": phone, "sms_code": code})
    assert r.status == 400 and r.json["error"]["code"] == "sms_code_expired"


async def test_another_account_cannot_read_my_card(login, database):
    me, other = await login(), await login()
    card = (await me.claim(name="张三", id_number=make_id_number(), phone=make_phone())).json
    assert (await me.get(f"/api/v1/cards/{card['card_id']}")).status == 200
    r = await other.get(f"/api/v1/cards/{card['card_id']}")
    assert r.status == 404 and r.json["error"]["code"] == "not_found"
    assert (await other.get("/api/v1/cards")).json == []
    assert (await other.get("/api/v1/cards/not-a-card")).status == 404


async def test_concurrent_claims_of_one_id_make_one_card(login, database):
    residents = [await login() for _ in range(5)]
    idn = make_id_number()
    phones = [make_phone() for _ in residents]
    codes = [await r.sms_code(p, "claim_card") for r, p in zip(residents, phones)]
    results = await asyncio.gather(
        *[
            r.post("/api/v1/cards", {"name": "张三", "id_number": idn, "phone": p, "sms_code": c})
            for r, p, c in zip(residents, phones, codes)
        ]
    )
    statuses = sorted(x.status for x in results)
    assert statuses.count(201) == 1 and statuses.count(409) == 4, statuses
    assert await Card.all().count() == 1


async def test_malformed_bodies_are_400_never_500(login, database):
    me = await login()
    for payload in [
        None,
        [],
        "x",
        {"name": 1},
        {"name": "张三", "id_number": None, "phone": "1", "sms_code": "1"},
        {"name": "张三" * 100, "id_number": "1" * 18, "phone": "13800000000", "sms_code": "123456"},
    ]:
        r = await me.post("/api/v1/cards", payload)
        assert r.status == 400, (payload, r.status, r.json)
        assert set(r.json["error"]) >= {"code", "message"}
    _, r = await me.client.post(
        "/api/v1/cards", content=b"{not json", headers={**me.headers, "content-type": "application/json"}
    )
    assert r.status == 400 and r.json["error"]["code"] == "invalid_request"
