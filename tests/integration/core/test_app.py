import pytest


async def test_unknown_route_and_method_use_the_error_shape(client, database):
    _, r = await client.get("/api/v1/nope")
    assert r.status == 404 and r.json["error"]["code"] == "not_found"
    _, r = await client.request("PATCH", "/api/v1/cards")
    assert r.status == 405 and set(r.json["error"]) >= {"code", "message"}


@pytest.mark.parametrize("segment", ["0", "007", "99999999999999999999", "2147483648", "-1", "1e3"])
async def test_path_ids_outside_the_id_columns_are_not_found(client, database, segment):
    for path in [
        f"/api/v1/schedules/{segment}",
        f"/api/v1/hospitals/{segment}/departments",
        f"/api/v1/departments/{segment}/schedules",
    ]:
        _, r = await client.get(path)
        assert r.status == 404 and r.json["error"]["code"] == "not_found", (path, r.status)
    _, r = await client.get("/api/v1/schedules/999999999")
    assert r.status == 404 and r.json["error"]["code"] == "schedule_not_found"


async def test_openapi_document_lists_the_contract(client, database):
    _, r = await client.get("/docs/openapi.json")
    assert r.status == 200
    paths = r.json["paths"]
    for path in [
        "/api/v1/auth/wx-login",
        "/api/v1/sms/codes",
        "/api/v1/cards",
        "/api/v1/family",
        "/api/v1/family/{member_id}",
        "/api/v1/health",
    ]:
        assert path in paths, path
    _, page = await client.get("/docs")
    assert page.status == 200 and "html" in page.headers["content-type"]


async def test_the_docs_oauth2_redirect_page_comes_from_the_installed_bundle(client, database, monkeypatch):
    import urllib.request

    def no_network(*args, **kwargs):
        raise AssertionError("the service fetched something from another host")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    _, page = await client.get("/docs/oauth2-redirect.html")
    assert page.status == 200 and "oauth2" in page.text.lower()


async def test_dev_clock_endpoint(client, database):
    _, r = await client.post("/api/v1/dev/clock", json={"now": "2026-12-01T12:59:50+08:00", "frozen": True})
    assert r.status == 200 and r.json["now"] == "2026-12-01T12:59:50+08:00"
    _, r = await client.get("/api/v1/dev/clock")
    assert r.json["now"] == "2026-12-01T12:59:50+08:00"
    _, r = await client.post("/api/v1/dev/clock", json={"now": "2026-12-01T12:59:50"})
    assert r.status == 400
    _, r = await client.post("/api/v1/dev/clock", json={})
    assert r.status == 200 and r.json["real"] is True


async def test_dev_helpers_do_not_exist_in_prod(deps, database, make_client):
    from backend.app import create_app

    deps.settings = deps.settings.with_overrides(app={"env": "prod"})
    client = await make_client(create_app(deps=deps))
    _, r = await client.post("/api/v1/dev/clock", json={"now": "2026-12-01T12:59:50+08:00"})
    assert r.status == 404 and r.json["error"]["code"] == "not_found"


def test_standin_refuses_production():
    from backend.dev.standins.login import StandInRefused, WeChatStandIn

    with pytest.raises(StandInRefused):
        WeChatStandIn(env="prod", appid="wx", secret="s")
