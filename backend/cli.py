"""Operator command line: `python -m backend.cli <command> ...` against the configured database
(DATABASE_URL, REDIS_URL as for the server). Answers are JSON on stdout; a refusal prints the
same error body as the API and exits 1.

    python -m backend.cli create-operator admin --role platform            # password asked for (or --password-stdin)
    python -m backend.cli create-operator whch-admin --role hospital_admin --hospital WHCH
    python -m backend.cli onboard-hospital hospital.json                   # hospital, departments, doctors
    python -m backend.cli import-schedules WHCH schedules.csv              # .csv or .json, all or nothing
    python -m backend.cli issue-intake-secret WHCH                         # shown once; replaces the old one
    python -m backend.cli rebuild-stock                                    # hold store from the database
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from contextlib import asynccontextmanager
from pathlib import Path

from backend.config import ConfigError, load_settings
from backend.errors import AppError, BadRequest, NotFound

CLI_ACTOR = "cli"
ONBOARD_EXAMPLE = {
    "code": "WHXH",
    "name": "武汉协和医院",
    "release_time": "13:00",
    "departments": [
        {"code": "NEIKE", "name": "心血管内科", "doctors": [{"code": "D201", "name": "周明", "title": "主任医师"}]}
    ],
}


@asynccontextmanager
async def _deps(settings):
    from backend import db
    from backend import redis as hot
    from backend.deps import build_deps

    await db.init(settings.database.url)
    client = hot.connect(settings.redis.url)
    deps = None
    try:
        deps = build_deps(settings.with_overrides(payments={"enabled": False}), client)  # nothing here pays
        await deps.scripts.load()
        yield deps
    finally:
        if deps is not None and deps.pay is not None:
            await deps.pay.aclose()
        await hot.close(client)
        await db.close()


async def _hospital_id(code: str) -> int:
    from backend.catalog.models import Hospital

    hospital = await Hospital.get_or_none(code=code)
    if hospital is None:
        raise NotFound(f"no hospital with code {code}", code="hospital_not_found")
    return hospital.id


async def create_operator(deps, args) -> dict:
    from backend.operators import service

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise BadRequest("the passwords differ", code="invalid_operator")
    hospital_id = await _hospital_id(args.hospital) if args.hospital else None
    return await service.create_operator(
        username=args.username, password=password, role=args.role, hospital_id=hospital_id, deps=deps
    )


async def onboard_hospital(deps, args) -> dict:
    """Create the hospital with its departments and doctors from a JSON file; what exists
    already (same codes) is left as it is, so the file can be re-run after adding to it."""
    from backend.catalog import service
    from backend.catalog.models import Department, Doctor, Hospital

    spec = json.loads(Path(args.file).read_text(encoding="utf-8"))
    if not isinstance(spec, dict) or not {"code", "name"} <= set(spec):
        raise BadRequest(
            "the file must be a JSON object like " + json.dumps(ONBOARD_EXAMPLE, ensure_ascii=False),
            code="invalid_hospital",
        )
    made = {"hospital": None, "departments": 0, "doctors": 0}
    hospital = await Hospital.get_or_none(code=spec["code"])
    if hospital is None:
        view = await service.create_hospital(
            code=spec["code"], name=spec["name"], release_time=spec.get("release_time", "13:00")
        )
        hospital_id, made["hospital"] = view["id"], "created"
    else:
        hospital_id, made["hospital"] = hospital.id, "exists"
    for dept in spec.get("departments", []):
        if not await Department.exists(hospital_id=hospital_id, code=dept["code"]):
            await service.create_department(hospital_id=hospital_id, code=dept["code"], name=dept["name"])
            made["departments"] += 1
        for doctor in dept.get("doctors", []):
            if not await Doctor.exists(hospital_id=hospital_id, code=doctor["code"]):
                await service.create_doctor(
                    hospital_id=hospital_id,
                    code=doctor["code"],
                    name=doctor["name"],
                    title=doctor.get("title", ""),
                    department_code=dept["code"],
                )
                made["doctors"] += 1
    return {"hospital_id": hospital_id, "code": spec["code"], **made}


async def import_schedules(deps, args) -> dict:
    from backend.catalog import rules, service

    path = Path(args.file)
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        try:
            rows, lines = rules.parse_schedule_csv(text, max_rows=100_000)
        except rules.InvalidSchedule as exc:
            raise BadRequest(f"the CSV {exc}", code="invalid_schedules") from None
    else:
        data = json.loads(text)
        rows, lines = (data["schedules"] if isinstance(data, dict) else data), None
    return await service.import_schedules(
        deps=deps, hospital_id=await _hospital_id(args.hospital), rows=rows, lines=lines
    )


async def issue_intake_secret(deps, args) -> dict:
    from backend.his import service

    return await service.issue_secret(deps=deps, hospital_id=await _hospital_id(args.hospital))


async def rebuild_stock(deps, args) -> dict:
    from backend.booking.service import rebuild_stock as rebuild

    if not deps.settings.redis.url:
        return {"note": "the embedded store lives inside the server and rebuilds itself at start-up"}
    return await rebuild(deps)


COMMANDS = {
    "create-operator": create_operator,
    "onboard-hospital": onboard_hospital,
    "import-schedules": import_schedules,
    "issue-intake-secret": issue_intake_secret,
    "rebuild-stock": rebuild_stock,
}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m backend.cli", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("create-operator", help="create an operator account")
    c.add_argument("username")
    c.add_argument("--role", choices=["platform", "hospital_admin"], default="platform")
    c.add_argument("--hospital", help="hospital code (hospital_admin only)")
    c.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    o = sub.add_parser("onboard-hospital", help="hospital, departments and doctors from a JSON file")
    o.add_argument("file")
    i = sub.add_parser("import-schedules", help="import sessions from a .csv or .json file (all or nothing)")
    i.add_argument("hospital", help="hospital code")
    i.add_argument("file")
    s = sub.add_parser("issue-intake-secret", help="issue or rotate a hospital system's intake secret (printed once)")
    s.add_argument("hospital", help="hospital code")
    sub.add_parser("rebuild-stock", help="rebuild the hold store (Redis) from the database")
    return p


async def run(args, settings) -> dict:
    from backend.actions import service as actions

    async with _deps(settings) as deps:
        with actions.acting_as(CLI_ACTOR):  # every change is in the operator-action trail as the command line's
            return await COMMANDS[args.command](deps, args)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    try:
        result = asyncio.run(run(args, settings))
    except AppError as refused:
        print(json.dumps(refused.body(), ensure_ascii=False, indent=2), file=sys.stderr)
        return 1
    except (OSError, json.JSONDecodeError) as exc:
        print(f"cannot read the input: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
