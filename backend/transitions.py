"""One-way status machines: each domain lists its allowed moves once, in its rules.py, and
checks every change against that table."""

from __future__ import annotations

from enum import StrEnum
from typing import Generic, Iterable, TypeVar

from backend.errors import IllegalTransition

S = TypeVar("S", bound=StrEnum)


class Transitions(Generic[S]):
    def __init__(self, name: str, moves: dict[S, Iterable[S]], *, refusal_code: str = "illegal_transition"):
        self.name = name
        self.moves: dict[S, frozenset[S]] = {k: frozenset(v) for k, v in moves.items()}
        self.refusal_code = refusal_code

    def allowed(self, current: str, wanted: str) -> bool:
        return wanted in self.moves.get(current, frozenset())  # type: ignore[arg-type]

    def check(self, current: str, wanted: str, *, code: str | None = None, message: str | None = None) -> None:
        """Refuse (IllegalTransition, a 409 at the edge) a move the table does not list."""
        if not self.allowed(current, wanted):
            raise IllegalTransition(
                message or f"a {self.name} that is {current} cannot become {wanted}",
                code=code or self.refusal_code,
                current=str(current),
                wanted=str(wanted),
                status_now=str(current),
            )

    def sources(self, wanted: S) -> tuple[S, ...]:
        """The statuses `wanted` may be reached from: the filter of a conditional UPDATE, so a
        concurrent change is never overwritten."""
        return tuple(sorted(k for k, v in self.moves.items() if wanted in v))

    def terminal(self) -> set[S]:
        return {k for k, v in self.moves.items() if not v}
