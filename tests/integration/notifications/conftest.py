import itertools

import pytest

from backend.clock import clock
from backend.identity.models import Account
from backend.notifications.models import SubscriptionAllowance
from tests.integration.inpatient.conftest import his_for, item  # noqa: F401 (fixtures shared with inpatient)

_numbers = itertools.count(1)


@pytest.fixture
def account(database):
    """An account made directly, with `allow(kind, n)` allowances of the kind's template."""

    async def make(**allowed: int) -> Account:
        now = clock.now()
        acc = await Account.create(openid=f"o-msg-{next(_numbers)}", created_at=now, last_login_at=now)
        for kind, n in allowed.items():
            await SubscriptionAllowance.create(account=acc, template_id=f"dev-{kind}", remaining=n, updated_at=now)
        return acc

    return make


@pytest.fixture
def wechat_refuses(standin):
    """Make the WeChat stand-in refuse subscribe messages (by openid, or unknown templates)."""
    yield standin
    standin.subscribe_refusals.clear()
    standin.subscribe_templates = None


async def remaining(account, kind: str) -> int:
    row = await SubscriptionAllowance.get_or_none(account_id=account.id, template_id=f"dev-{kind}")
    return row.remaining if row else 0
