"""CloudFormation's concurrency: an operation starts as soon as every operation it waits for is done.

CloudFormation creates (and updates) resources that do not depend on each other at the same time, and
deletes them in the reverse order, also concurrently. After a failure it starts nothing new, lets what
is running finish, then rolls back. ``run_graph`` is that schedule on a bounded pool of threads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

# How many resource operations run at once. CloudFormation does not document its own limit; a stack's
# independent custom resources all run at the same time there, which this allows for a few dozen.
DEFAULT_WORKERS = 16


def reverse(waits_for: Mapping[str, set[str]]) -> dict[str, set[str]]:
    """Deletion order from creation order: each item waits for the items that waited for it."""
    reversed_: dict[str, set[str]] = {item: set() for item in waits_for}
    for item, needed in waits_for.items():
        for other in needed:
            reversed_.setdefault(other, set()).add(item)
    return reversed_


def run_graph(
    items: Sequence[str],
    waits_for: Mapping[str, set[str]],
    step: Callable[[str], None],
    *,
    workers: int = DEFAULT_WORKERS,
) -> BaseException | None:
    """Run ``step(item)`` once for every item, each after all of ``waits_for[item]`` that are among
    ``items`` succeeded, at most ``workers`` at a time; among ready items, ``items`` order goes first.

    Returns the first failure (None when every step succeeded). After it no step starts; the running
    ones finish (their own failures are reported by ``step`` itself, as CloudFormation's events are).
    """
    chosen = set(items)
    needs = {item: set(waits_for.get(item, set())) & chosen for item in items}
    pending = list(items)
    done: set[str] = set()
    running: dict[Future[None], str] = {}
    failure: BaseException | None = None
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="cloudformation") as pool:
        while running or (pending and failure is None):
            if failure is None:
                for item in [i for i in pending if needs[i] <= done][: max(0, workers - len(running))]:
                    pending.remove(item)
                    running[pool.submit(step, item)] = item
            if not running:
                raise RuntimeError(f"nothing can start: {pending} wait for each other")
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                item = running.pop(future)
                error = future.exception()
                if error is None:
                    done.add(item)
                elif failure is None:
                    failure = error
    return failure
