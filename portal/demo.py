"""The portal's demo: once every feature has seeded its processes, the statistics rollup is built from the
demo's signed contracts, so /statistics (log in as caijian) reads it rather than every month live."""

from __future__ import annotations

from core.demo import seeder


@seeder("portal.statistics", after="deposits")
def seed_statistics(context: dict) -> None:
    from portal import statistics

    statistics.rebuild()
