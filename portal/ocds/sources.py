"""The registry of OCDS process sources: each kind of procurement process says how to page its keys and how
to build the releases of a batch of them.

A source pages its processes by an ascending integer key (`keys(after, limit)`) so the API's pages and the
bulk download walk every process once, in a stable order, however many there are; `build(keys)` loads one
batch with a fixed number of queries and returns each process's ocid and releases. plan/ registers its
intentions and plans here when it lands: a planning source whose releases carry tag `planning` under the
ocid of the tender they become (the same process), or its own ocid with `relatedProcesses` when a plan
leads to several tenders. mall/ registers each e-mall order and framework call-off as its own process.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Process:
    ocid: str
    releases: list[dict]


@dataclass(frozen=True)
class ProcessSource:
    name: str
    keys: Callable[[int, int], list[int]]  # (after, limit) -> the next keys in ascending order
    build: Callable[[Sequence[int]], list[Process]]  # keys -> their processes, in the keys' order
    find: Callable[[str], int | None]  # an ocid -> its key, or None if not this source's


_SOURCES: dict[str, ProcessSource] = {}


def register(source: ProcessSource) -> ProcessSource:
    _SOURCES[source.name] = source
    return source


def all_sources() -> list[ProcessSource]:
    return list(_SOURCES.values())


def get(name: str) -> ProcessSource | None:
    return _SOURCES.get(name)
