"""Demo catalogue: the extract shipped in data/ imported as the 2022 version and activated, with the
province buying desktop and portable computers and A4 printers centrally (集中采购目录)."""

from __future__ import annotations

from sqlalchemy import select

from accounts.models import Region
from core.db import db
from core.demo import seeder
from registry.catalogue import importer, service

DEMO_LABEL = "2022 年版（摘录）"
CENTRAL = {"330000": ["A02010105", "A02010108", "A02021003"]}


def import_extract(label: str = DEMO_LABEL):
    """Import and activate the shipped extract (the demo and tests); returns the version."""
    report = importer.import_catalogue(None, importer.EXTRACT.read_bytes(), importer.EXTRACT.name, label)
    if not report.ok:  # the shipped file is checked by the tests: this is a programming error
        raise RuntimeError(f"catalogue extract refused: {report.problems[:3]}")
    return service.activate_version(None, service.get_version(report.version_id))


@seeder("catalogue")
def seed_catalogue(context: dict) -> None:
    context["catalogue_version"] = import_extract()
    regions = set(db.session.scalars(select(Region.code)))
    for region, codes in CENTRAL.items():
        if region in regions:
            service.set_central(None, region, codes, True)
