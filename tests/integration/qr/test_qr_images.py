"""QR images are drawn off the event loop and kept: static per card, dynamic per 60-s step."""

import asyncio
import threading
from datetime import datetime

from backend.clock import SHANGHAI, clock
from backend.qr import images, service


async def test_images_are_drawn_in_a_pool_thread_and_cached(resident_with_card, monkeypatch):
    drawn_in = []
    real = service.image

    def spy(payload, *, fmt, size):
        drawn_in.append(threading.current_thread().name)
        return real(payload, fmt=fmt, size=size)

    monkeypatch.setattr(service, "image", spy)
    clock.freeze(datetime(2026, 12, 1, 9, 0, 5, tzinfo=SHANGHAI))
    me = await resident_with_card()
    url = f"/api/v1/cards/{me.card_id}/qrcode"
    first = await me.get(url + "?kind=static&format=png")
    again = await me.get(url + "?kind=static&format=png")
    assert first.status == again.status == 200 and first.content == again.content
    assert len(drawn_in) == 1 and drawn_in[0].startswith("qr-render")
    await me.get(url + "?kind=static&format=svg")
    assert len(drawn_in) == 2  # another format, another image

    d1 = await me.get(url + "?format=png")
    d2 = await me.get(url + "?format=png")
    assert d1.content == d2.content and len(drawn_in) == 3  # same 60-s step: drawn once
    clock.advance(seconds=60)
    d3 = await me.get(url + "?format=png")
    assert d3.content != d1.content and len(drawn_in) == 4  # a new step, a new code


async def test_the_loop_keeps_serving_while_an_image_is_drawn(resident_with_card, client, monkeypatch):
    real = service.image
    gate = threading.Event()

    def slow(payload, *, fmt, size):
        gate.wait(5)  # a render that takes as long as we like, in its thread
        return real(payload, fmt=fmt, size=size)

    monkeypatch.setattr(service, "image", slow)
    me = await resident_with_card()
    drawing = asyncio.create_task(me.get(f"/api/v1/cards/{me.card_id}/qrcode?kind=static&format=svg&size=print"))
    await asyncio.sleep(0.05)
    _, ping = await asyncio.wait_for(client.get("/api/v1/ping"), timeout=2)  # answered meanwhile
    assert ping.status == 200 and not drawing.done()
    gate.set()
    assert (await drawing).status == 200


def test_the_caches_are_bounded():
    cache = images.LruCache(3)
    for i in range(10):
        cache.put(i, i)
    assert len(cache) == 3 and cache.get(0) is None and cache.get(9) == 9
