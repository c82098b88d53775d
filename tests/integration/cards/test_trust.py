"""The registered phone proves the person: a name and an ID number (printed on every
prescription) are not enough to reach someone's card. The owner sees and ends every link."""

from datetime import date

from backend.cards.models import Card, FamilyLink
from backend.clock import clock
from backend.notifications.models import Notification
from backend.payments.models import Payment
from tests.integration.conftest import at, dynamic_code
from tests.support import make_id_number, make_phone

D = date(2026, 12, 20)  # released 2026-12-13 13:00


def masked(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:]


def next_minute() -> None:
    clock.advance(seconds=61)  # one SMS a minute per phone


async def test_the_takeover_by_name_and_id_number_is_refused_at_each_step(resident_with_card, login, deps):
    alice = await resident_with_card("张三")
    mallory = await login()
    # 1. link Alice's card as a "family member" with a code sent to Mallory's own phone
    r = await mallory.add_member(name="张三", id_number=alice.id_number, phone=make_phone(), relation="parent")
    assert r.status == 409 and r.json["error"]["code"] == "phone_mismatch"
    assert r.json["error"]["phone_masked"] == masked(alice.phone)
    assert await FamilyLink.all().count() == 0
    # 2. claim it as Mallory's own
    r = await mallory.claim(name="张三", id_number=alice.id_number, phone=make_phone())
    assert r.status == 409 and r.json["error"]["code"] == "already_claimed"
    # 3. everything the card can do stays out of reach
    for path in (
        f"/api/v1/cards/{alice.card_id}",
        f"/api/v1/cards/{alice.card_id}/qrcode?kind=dynamic",
        f"/api/v1/cards/{alice.card_id}/links",
    ):
        assert (await mallory.get(path)).status == 404, path
    assert (await mallory.post(f"/api/v1/cards/{alice.card_id}/reissue")).status == 404
    assert (await mallory.get("/api/v1/cards")).json == []
    card = await Card.get(card_id=alice.card_id)
    assert deps.pii.decrypt(card.phone_enc, field="phone") == alice.phone and card.owner_id == alice.account_id


async def test_a_childs_card_cannot_be_claimed_by_a_stranger_and_keeps_its_phone(login, deps):
    parent, stranger = await login(), await login()
    idn, parents_phone = make_id_number(born=date(2018, 5, 1)), make_phone()
    child = (await parent.add_member(name="李小宝", id_number=idn, phone=parents_phone)).json["card"]
    assert child["owner"] == "none"
    r = await stranger.claim(name="李小宝", id_number=idn, phone=make_phone())
    assert r.status == 409 and r.json["error"]["code"] == "phone_mismatch"
    assert r.json["error"]["phone_masked"] == masked(parents_phone)
    r = await stranger.add_member(name="李小宝", id_number=idn, phone=make_phone())
    assert r.status == 409 and r.json["error"]["code"] == "phone_mismatch"
    card = await Card.get(card_id=child["card_id"])
    assert card.owner_id is None
    assert deps.pii.decrypt(card.phone_enc, field="phone") == parents_phone


async def test_a_wrong_code_learns_nothing_of_the_registered_phone(resident_with_card, login):
    alice, mallory = await resident_with_card(), await login()
    r = await mallory.post(
        "/api/v1/family",
        {
            "name": "张三",
            "id_number": alice.id_number,
            "phone": make_phone(),
            "relation": "parent",
            "sms_code": "000000",
        },
    )
    assert r.status in (400, 409) and r.json["error"]["code"] != "phone_mismatch"
    assert "phone_masked" not in r.json["error"] and masked(alice.phone) not in str(r.json)


async def test_the_grown_child_claims_with_the_registered_phone_and_then_alone_may_reissue(login):
    parent, child = await login(), await login()
    idn, registered = make_id_number(born=date(2006, 5, 1)), make_phone()
    card_id = (await parent.add_member(name="王小明", id_number=idn, phone=registered)).json["card"]["card_id"]
    # without an owner, a linked account manages the card (a parent for a child)
    r = await parent.post(f"/api/v1/cards/{card_id}/reissue")
    assert r.status == 200, r.json
    card_id = r.json["card_id"]
    next_minute()
    r = await child.claim(name="王小明", id_number=idn, phone=registered)
    assert r.status == 201 and r.json["owner"] == "self"
    listed = (await parent.get("/api/v1/cards")).json
    assert [c["owner"] for c in listed] == ["other"]
    r = await parent.post(f"/api/v1/cards/{card_id}/reissue")
    assert r.status == 403 and r.json["error"]["code"] == "owner_only"
    assert (await Card.get(id=(await Card.get(card_id=card_id)).id)).card_id == card_id
    assert (await child.post(f"/api/v1/cards/{card_id}/reissue")).status == 200


async def test_the_owner_sees_every_link_and_is_told_of_each(resident_with_card, login):
    alice, bob = await resident_with_card("张三"), await login("bob-openid-9f3c")
    # Alice handed Bob the code sent to her phone: possession, given by her
    next_minute()
    r = await bob.add_member(name="张三", id_number=alice.id_number, phone=alice.phone, relation="parent")
    assert r.status == 201, r.json
    links = (await alice.get(f"/api/v1/cards/{alice.card_id}/links")).json
    assert len(links) == 1 and set(links[0]) == {"link_id", "account_masked", "relation", "linked_at"}
    assert links[0]["relation"] == "parent"
    assert links[0]["account_masked"].startswith("微信用户 ****") and "bob" not in links[0]["account_masked"]
    assert links[0]["account_masked"] != f"微信用户 ****{alice.user[-4:]}"
    note = await Notification.get(account_id=alice.account_id, kind="card_linked")
    assert note.payload["account_masked"] == links[0]["account_masked"] and note.payload["relation"] == "parent"
    inbox = (await alice.get("/api/v1/notifications")).json
    assert any(n["kind"] == "card_linked" for n in (inbox["items"] if isinstance(inbox, dict) else inbox))
    # only the owner sees who uses the card
    assert (await bob.get(f"/api/v1/cards/{alice.card_id}/links")).status == 404


async def test_linking_an_unowned_card_tells_nobody(login):
    parent = await login()
    await parent.add_member(name="李小宝", id_number=make_id_number(born=date(2019, 1, 1)), phone=make_phone())
    assert await Notification.filter(kind="card_linked").count() == 0


async def test_the_owner_ends_a_link_at_once_inside_the_45_days(resident_with_card, login):
    clock.freeze(at(date(2026, 12, 1), "09:00"))
    alice, bob = await resident_with_card("张三"), await login()
    next_minute()
    member = (await bob.add_member(name="张三", id_number=alice.id_number, phone=alice.phone, relation="child")).json
    clock.advance(days=2)
    # the lock binds the linking account ...
    r = await bob.delete(f"/api/v1/family/{member['member_id']}")
    assert r.status == 409 and r.json["error"]["code"] == "removal_locked"
    # ... not the owner
    link_id = (await alice.get(f"/api/v1/cards/{alice.card_id}/links")).json[0]["link_id"]
    assert (await bob.delete(f"/api/v1/cards/{alice.card_id}/links/{link_id}")).status == 404
    assert (await alice.delete(f"/api/v1/cards/{alice.card_id}/links/{link_id}")).status == 204
    assert (await alice.get(f"/api/v1/cards/{alice.card_id}/links")).json == []
    assert (await bob.get("/api/v1/family")).json == []
    assert (await bob.get(f"/api/v1/cards/{alice.card_id}")).status == 404
    assert (await bob.get(f"/api/v1/cards/{alice.card_id}/qrcode?kind=dynamic")).status == 404
    assert (await alice.delete(f"/api/v1/cards/{alice.card_id}/links/{link_id}")).status == 404
    link = await FamilyLink.get(id=link_id)
    assert link.ended_by == "owner" and link.removed_at is not None
    told = await Notification.get(account_id=bob.account_id, kind="card_link_ended")
    assert told.payload["ended_by"] == "owner"
    # the owner's own code still works
    await dynamic_code(alice)


async def test_another_owners_link_cannot_be_ended(resident_with_card, login):
    alice, carol, bob = await resident_with_card("张三"), await resident_with_card("李四"), await login()
    next_minute()
    await bob.add_member(name="张三", id_number=alice.id_number, phone=alice.phone, relation="child")
    link_id = (await alice.get(f"/api/v1/cards/{alice.card_id}/links")).json[0]["link_id"]
    assert (await carol.delete(f"/api/v1/cards/{carol.card_id}/links/{link_id}")).status == 404
    assert await FamilyLink.filter(id=link_id, removed_at__isnull=True).exists()


async def test_a_link_ended_while_its_hold_is_unpaid(resident_with_card, login, catalog, payer, deps):
    clock.freeze(at(date(2026, 12, 13), "13:00"))
    s = await catalog.schedule(day=D, capacity=1)
    alice, bob = await resident_with_card("张三"), await login()
    next_minute()
    await bob.add_member(name="张三", id_number=alice.id_number, phone=alice.phone, relation="parent")
    hold = (await bob.post("/api/v1/holds", {"schedule_id": s["id"], "card_id": alice.card_id})).json
    assert "hold_id" in hold, hold
    started = await payer.start(bob, hold["hold_id"])
    assert started.status == 200, started.json
    link_id = (await alice.get(f"/api/v1/cards/{alice.card_id}/links")).json[0]["link_id"]
    assert (await alice.delete(f"/api/v1/cards/{alice.card_id}/links/{link_id}")).status == 204
    # the slot is back in stock at once (capacity 1), and Bob's order is closed
    assert (await alice.post("/api/v1/holds", {"schedule_id": s["id"], "card_id": alice.card_id})).status == 201
    payment = await Payment.get(out_trade_no=started.json["out_trade_no"])
    assert payment.status == "closed"
    r = await bob.post(f"/api/v1/holds/{hold['hold_id']}/payment")
    assert r.status in (404, 409), r.json


async def test_a_hold_for_a_member_is_not_payable_after_the_member_removed_the_link(login, catalog, payer):
    clock.freeze(at(date(2026, 12, 13), "13:00"))
    s = await catalog.schedule(day=D, capacity=1)
    parent = await login()
    child = (
        await parent.add_member(name="李小宝", id_number=make_id_number(born=date(2019, 1, 1)), phone=make_phone())
    ).json
    hold = (await parent.post("/api/v1/holds", {"schedule_id": s["id"], "card_id": child["card"]["card_id"]})).json
    # the link ends behind the hold's back (here straight in the database, as a removal racing it would)
    await FamilyLink.filter(id=child["member_id"]).update(
        removed_at=clock.now(), active_card_id=None, ended_by="member"
    )
    r = await payer.start(parent, hold["hold_id"])
    assert r.status == 404 and r.json["error"]["code"] == "card_not_found"
    assert await Payment.all().count() == 0


async def test_paid_bookings_stay_with_the_card_when_the_link_ends(resident_with_card, login, catalog, booked):
    clock.freeze(at(date(2026, 12, 13), "13:00"))
    s = await catalog.schedule(day=D)
    alice, bob = await resident_with_card("张三"), await login()
    next_minute()
    await bob.add_member(name="张三", id_number=alice.id_number, phone=alice.phone, relation="parent")
    bob.card_id = alice.card_id
    booking = await booked(bob, s)
    link_id = (await alice.get(f"/api/v1/cards/{alice.card_id}/links")).json[0]["link_id"]
    assert (await alice.delete(f"/api/v1/cards/{alice.card_id}/links/{link_id}")).status == 204
    mine = (await alice.get(f"/api/v1/bookings/{booking['id']}")).json
    assert mine["status"] == "confirmed"
    assert (await bob.get(f"/api/v1/bookings/{booking['id']}")).status == 404
    assert (await bob.delete(f"/api/v1/bookings/{booking['id']}")).status == 404


async def test_the_owner_moves_the_card_to_a_new_phone(resident_with_card, login, deps):
    alice, bob = await resident_with_card("张三"), await login()
    new_phone = make_phone()
    code = await alice.sms_code(new_phone, "change_phone")
    r = await alice.put(f"/api/v1/cards/{alice.card_id}/phone", {"phone": new_phone, "sms_code": code})
    assert r.status == 200, r.json
    assert r.json["phone_masked"] == masked(new_phone)
    card = await Card.get(card_id=alice.card_id)
    assert deps.pii.decrypt(card.phone_enc, field="phone") == new_phone
    # the old phone no longer proves the person
    next_minute()
    r = await bob.add_member(name="张三", id_number=alice.id_number, phone=alice.phone)
    assert r.status == 409 and r.json["error"]["phone_masked"] == masked(new_phone)


async def test_a_phone_change_needs_the_code_of_the_new_phone_and_the_owner(resident_with_card, login):
    alice, stranger = await resident_with_card("张三"), await login()
    new_phone = make_phone()
    await alice.sms_code(new_phone, "change_phone")
    r = await alice.put(f"/api/v1/cards/{alice.card_id}/phone", {"phone": new_phone, "sms_code": "000000"})
    assert r.status in (400, 409) and r.json["error"]["code"] != "ok"
    # a code for another purpose (claiming) does not move a card
    next_minute()
    claim_code = await alice.sms_code(new_phone, "claim_card")
    r = await alice.put(f"/api/v1/cards/{alice.card_id}/phone", {"phone": new_phone, "sms_code": claim_code})
    assert r.status in (400, 409)
    r = await alice.put(f"/api/v1/cards/{alice.card_id}/phone", {"phone": alice.phone, "sms_code": "123456"})
    assert r.status == 409 and r.json["error"]["code"] == "same_phone"
    r = await stranger.put(f"/api/v1/cards/{alice.card_id}/phone", {"phone": new_phone, "sms_code": "123456"})
    assert r.status == 404


async def test_a_linked_account_cannot_change_the_phone(login):
    parent = await login()
    child = (
        await parent.add_member(name="李小宝", id_number=make_id_number(born=date(2019, 1, 1)), phone=make_phone())
    ).json
    r = await parent.put(
        f"/api/v1/cards/{child['card']['card_id']}/phone", {"phone": make_phone(), "sms_code": "123456"}
    )
    assert r.status == 403 and r.json["error"]["code"] == "owner_only"
