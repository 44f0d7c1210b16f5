"""`flask catalogue import FILE`: the operator imports the official catalogue file from the command line
(the same all-or-nothing import as the administrator's page), optionally activating it."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

catalogue_cli = AppGroup("catalogue", help="The procurement catalogue (政府采购品目分类目录).")


@catalogue_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--label", default="", help="The version's name, e.g. '2022 年版（财库〔2022〕31号）'.")
@click.option("--activate", is_flag=True, help="Make it the version in force once imported.")
def import_command(path: Path, label: str, activate: bool) -> None:
    """Check every row of a CSV/XLSX catalogue file and store it as a new version, or print the report."""
    from core.db import db
    from registry.catalogue import importer, service

    report = importer.import_catalogue(None, path.read_bytes(), path.name, label or path.stem)
    if not report.ok:
        db.session.rollback()
        for problem in report.problems:
            click.echo(f"第 {problem.row} 行\t{problem.column}\t{problem.reason}", err=True)
        raise click.ClickException(f"{len(report.problems)} 处问题，未导入 (nothing imported)")
    if activate:
        service.activate_version(None, service.get_version(report.version_id))
    db.session.commit()
    click.echo(f"version {report.version_id}: {report.rows} items, {report.leaves} leaves"
               f"{', active' if activate else ''}")
