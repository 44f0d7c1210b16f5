#!/usr/bin/env python3
"""Fill empty translations in a gettext catalog from a JSON file, and list what is left.

    .venv/bin/python scripts/po_fill.py --todo                 # untranslated/fuzzy msgids, with locations
    .venv/bin/python scripts/po_fill.py --todo --json > t.json # the same as a {msgid: ""} JSON skeleton
    .venv/bin/python scripts/po_fill.py t.json                 # write the non-empty translations of t.json

The JSON file maps the Chinese msgid to its English msgstr. Only empty or fuzzy entries are
written unless --overwrite is given. Every translation is checked before anything is written:
the msgid must exist in the catalog and the %(name)s / %s placeholders must match exactly, so a
bad batch changes nothing. The catalog-level "#, fuzzy" header flag is removed so that
`pybabel compile` includes the catalog. Default catalog: translations/en/LC_MESSAGES/messages.po.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PO = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%(?:\([A-Za-z_][A-Za-z0-9_]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifrx%]")


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def load(po_path: Path):
    with po_path.open("rb") as fh:
        return read_po(fh, abort_invalid=True)


def save(catalog, po_path: Path) -> None:
    catalog.fuzzy = False  # the "#, fuzzy" header flag would make pybabel compile skip the catalog
    tmp = po_path.with_suffix(".po.tmp")
    with tmp.open("wb") as fh:
        write_po(fh, catalog, width=76, include_previous=False)
    tmp.replace(po_path)


def todo(catalog) -> list:
    return [m for m in catalog if m.id and (not m.string or m.fuzzy)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("translations", nargs="?", type=Path, help="JSON file {msgid: msgstr}")
    parser.add_argument("--po", type=Path, default=DEFAULT_PO, help="catalog to fill (default: en)")
    parser.add_argument("--todo", action="store_true", help="list untranslated or fuzzy msgids")
    parser.add_argument("--json", action="store_true", help="with --todo: print a JSON skeleton")
    parser.add_argument("--overwrite", action="store_true", help="also replace existing translations")
    args = parser.parse_args(argv)

    catalog = load(args.po)

    if args.todo or args.translations is None:
        left = todo(catalog)
        if args.json:
            json.dump({m.id: "" for m in left}, sys.stdout, ensure_ascii=False, indent=1)
            print()
        else:
            for m in left:
                where = " ".join(f"{f}:{n}" for f, n in m.locations)
                print(f"{where}\n  {m.id}")
            total = sum(1 for m in catalog if m.id)
            print(f"{len(left)} of {total} msgids untranslated or fuzzy", file=sys.stderr)
        return 0

    mapping = json.loads(args.translations.read_text(encoding="utf-8"))
    errors = []
    for msgid, msgstr in mapping.items():
        if not msgstr:
            continue
        message = catalog.get(msgid)
        if message is None:
            errors.append(f"not in catalog: {msgid!r}")
        elif placeholders(msgid) != placeholders(msgstr):
            errors.append(f"placeholders differ: {msgid!r} -> {msgstr!r}")
        elif (msgstr[:1] == "\n") != (msgid[:1] == "\n") or (msgstr[-1:] == "\n") != (msgid[-1:] == "\n"):
            errors.append(f"leading/trailing newline differs: {msgid!r} -> {msgstr!r}")
    if errors:
        print("\n".join(errors), file=sys.stderr)
        print("nothing written", file=sys.stderr)
        return 1

    written = 0
    for msgid, msgstr in mapping.items():
        message = catalog.get(msgid)
        if not msgstr or (message.string and not message.fuzzy and not args.overwrite):
            continue
        message.string = msgstr
        message.flags.discard("fuzzy")
        written += 1
    save(catalog, args.po)
    print(f"{written} translations written; {len(todo(catalog))} msgids still untranslated or fuzzy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
