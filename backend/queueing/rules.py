"""Pure queue rules (排队叫号).

Patients are called in visit-number order among those checked in. Each place in the queue is a
rank: visit number n sits at n * 1000. A patient who checks in after their number was called
goes right after the number being called (called rank + 1, + 2, ... for each latecomer in
arrival order), ahead of the next visit number.
"""

from __future__ import annotations

STEP = 1000


def natural_rank(visit_number: int) -> int:
    return visit_number * STEP


def check_in_rank(visit_number: int, *, called_rank: int | None, taken: set[int]) -> int:
    """`taken`: ranks already held in this session's queue."""
    natural = natural_rank(visit_number)
    if called_rank is None or natural > called_rank:
        return natural
    rank = called_rank + 1
    next_natural = (called_rank // STEP + 1) * STEP
    while rank in taken and rank < next_natural - 1:
        rank += 1
    return rank


def ahead(rank: int, waiting: list[int]) -> int:
    return sum(1 for r in waiting if r < rank)
