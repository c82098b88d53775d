"""Local stand-ins for WeChat's login and WeChat Pay endpoints: dev and test only (they refuse
to start in production, and nothing outside backend/dev, the app's dev-only set-up and the tests
imports them)."""

from backend.dev.standins.login import StandInRefused, WeChatStandIn
from backend.dev.standins.pay import PayStandIn, StandInError

__all__ = ["PayStandIn", "StandInError", "StandInRefused", "WeChatStandIn"]
