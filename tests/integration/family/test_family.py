import asyncio
from datetime import datetime

from backend.clock import SHANGHAI, clock
from backend.family.models import FamilyLink
from tests.support import NAMES, make_id_number, make_phone, masked_id_number, masked_phone


async def test_add_list_and_cards_order(login, database):
    me = await login()
    own = (await me.claim(name="张三", id_number=make_id_number(), phone=make_phone())).json
    clock.freeze(datetime(2026, 3, 1, 9, tzinfo=SHANGHAI))
    idn, phone = make_id_number(), make_phone()
    r = await me.add_member(name="张小宝", id_number=idn, phone=phone, relation="child")
    assert r.status == 201, r.json
    member = r.json
    assert set(member) == {"member_id", "card", "relation", "linked_at", "removable_at"}
    assert member["relation"] == "child" and member["card"]["is_self"] is False
    assert member["card"]["name_masked"] == "张*宝"
    assert member["card"]["id_masked"] == masked_id_number(idn) and member["card"]["phone_masked"] == masked_phone(
        phone
    )
    assert member["linked_at"] == "2026-03-01T09:00:00+08:00"
    assert member["removable_at"] == "2026-04-15T00:00:00+08:00"
    assert (await me.get("/api/v1/family")).json == [member]
    cards = (await me.get("/api/v1/cards")).json
    assert [c["card_id"] for c in cards] == [own["card_id"], member["card"]["card_id"]]
    assert cards[1]["relation"] == "child"
    assert (cards[1]["name_masked"], cards[1]["id_masked"], cards[1]["phone_masked"]) == (
        "张*宝",
        masked_id_number(idn),
        masked_phone(phone),
    )


async def test_eleventh_member_is_409(login, database):
    me = await login()
    for i in range(10):
        clock.freeze()
        clock.advance(seconds=61)
        r = await me.add_member(name=NAMES[i], id_number=make_id_number(), phone=make_phone())
        assert r.status == 201, r.json
    r = await me.add_member(name="陈十一", id_number=make_id_number(), phone=make_phone())
    assert r.status == 409 and r.json["error"]["code"] == "family_full" and r.json["error"]["limit"] == 10
    assert await FamilyLink.filter(account_id=me.account_id).count() == 10


async def test_own_card_does_not_count_towards_ten(login, database):
    me = await login()
    assert (await me.claim(name="张三", id_number=make_id_number(), phone=make_phone())).status == 201
    for i in range(10):
        assert (await me.add_member(name=NAMES[i], id_number=make_id_number(), phone=make_phone())).status == 201
    assert len((await me.get("/api/v1/cards")).json) == 11


async def test_concurrent_adds_never_exceed_ten(login, database):
    me = await login()
    for i in range(8):
        assert (await me.add_member(name=NAMES[i], id_number=make_id_number(), phone=make_phone())).status == 201
    phones = [make_phone() for _ in range(6)]
    codes = [await me.sms_code(p, "add_family") for p in phones]
    results = await asyncio.gather(
        *[
            me.post(
                "/api/v1/family",
                {"name": "孙悟空", "id_number": make_id_number(), "phone": p, "relation": "other", "sms_code": c},
            )
            for p, c in zip(phones, codes)
        ]
    )
    assert sorted(r.status for r in results) == [201, 201, 409, 409, 409, 409]
    assert await FamilyLink.filter(account_id=me.account_id, removed_at__isnull=True).count() == 10


async def test_removal_day_44_refused_day_45_allowed(login, database):
    me = await login()
    clock.freeze(datetime(2026, 1, 1, 10, 30, tzinfo=SHANGHAI))
    member = (await me.add_member(name="王芳", id_number=make_id_number(), phone=make_phone())).json
    clock.freeze(datetime(2026, 2, 14, 10, 30, tzinfo=SHANGHAI))  # day 44
    r = await me.delete(f"/api/v1/family/{member['member_id']}")
    assert r.status == 409
    assert r.json["error"]["code"] == "removal_locked"
    assert r.json["error"]["removable_at"] == "2026-02-15T00:00:00+08:00"
    clock.freeze(datetime(2026, 2, 15, 0, 0, tzinfo=SHANGHAI))  # day 45
    r = await me.delete(f"/api/v1/family/{member['member_id']}")
    assert r.status == 204
    assert (await me.get("/api/v1/family")).json == []
    assert (await me.get(f"/api/v1/cards/{member['card']['card_id']}")).status == 404
    assert (await me.delete(f"/api/v1/family/{member['member_id']}")).status == 404


async def test_relinking_after_removal_starts_a_new_lock(login, database):
    me = await login()
    idn, phone = make_id_number(), make_phone()
    clock.freeze(datetime(2026, 1, 1, 10, tzinfo=SHANGHAI))
    first = (await me.add_member(name="王芳", id_number=idn, phone=phone)).json
    clock.freeze(datetime(2026, 3, 1, 10, tzinfo=SHANGHAI))
    assert (await me.delete(f"/api/v1/family/{first['member_id']}")).status == 204
    again = await me.add_member(name="王芳", id_number=idn, phone=phone)
    assert again.status == 201
    assert again.json["card"]["card_id"] == first["card"]["card_id"]  # same person, same card
    assert again.json["removable_at"] == "2026-04-15T00:00:00+08:00"


async def test_other_accounts_cannot_see_or_remove_my_member(login, database):
    me, other = await login(), await login()
    member = (await me.add_member(name="王芳", id_number=make_id_number(), phone=make_phone())).json
    assert (await other.get(f"/api/v1/cards/{member['card']['card_id']}")).status == 404
    r = await other.delete(f"/api/v1/family/{member['member_id']}")
    assert r.status == 404
    assert (await other.get("/api/v1/family")).json == []


async def test_linking_self_or_twice_is_409(login, database):
    me = await login()
    idn = make_id_number()
    assert (await me.claim(name="张三", id_number=idn, phone=make_phone())).status == 201
    r = await me.add_member(name="张三", id_number=idn, phone=make_phone())
    assert r.status == 409 and r.json["error"]["code"] == "cannot_link_self"
    other = make_id_number()
    assert (await me.add_member(name="李四", id_number=other, phone=make_phone())).status == 201
    r = await me.add_member(name="李四", id_number=other, phone=make_phone())
    assert r.status == 409 and r.json["error"]["code"] == "already_linked"


async def test_two_accounts_may_link_the_same_child(login, database):
    mum, dad = await login(), await login()
    idn, childs_phone = make_id_number(), make_phone()
    a = await mum.add_member(name="张小宝", id_number=idn, phone=childs_phone)
    clock.advance(seconds=61)  # one code a minute per phone
    b = await dad.add_member(name="张小宝", id_number=idn, phone=childs_phone)
    assert a.status == b.status == 201
    assert a.json["card"]["card_id"] == b.json["card"]["card_id"]


async def test_bad_input_is_400_and_nothing_written(login, database):
    me = await login()
    r = await me.add_member(name="王芳", id_number="110101199003074471", phone=make_phone())
    assert r.status == 400 and r.json["error"]["code"] == "invalid_id_number"
    r = await me.post(
        "/api/v1/family",
        {
            "name": "王芳",
            "id_number": make_id_number(),
            "phone": make_phone(),
            "relation": "boss",
            "sms_code": "123456",
        },
    )
    assert r.status == 400
    assert await FamilyLink.all().count() == 0
