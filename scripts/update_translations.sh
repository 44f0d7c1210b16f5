#!/usr/bin/env bash
# Re-extract the translatable strings into translations/messages.pot and merge them
# into every catalog under translations/ (currently en). New msgids arrive with an
# empty msgstr; translate them in translations/<lang>/LC_MESSAGES/messages.po, then
# compile with `make translations` (or .venv/bin/pybabel compile -d translations -f).
#
# Usage: scripts/update_translations.sh      (from anywhere; runs in the repo root)
set -euo pipefail

cd "$(dirname "$0")/.."
BIN="${BIN:-.venv/bin}"

"$BIN/pybabel" extract -F babel.cfg -k _l -k lazy_gettext -k N_ \
    -o translations/messages.pot \
    --ignore-dirs=".venv node_modules tests" .

"$BIN/pybabel" update -i translations/messages.pot -d translations --no-fuzzy-matching

# Report what is left to translate (empty msgstr or fuzzy entries).
"$BIN/python" - <<'PY'
from babel.messages.pofile import read_po
import pathlib

for po_path in sorted(pathlib.Path("translations").glob("*/LC_MESSAGES/messages.po")):
    with po_path.open("rb") as fh:
        catalog = read_po(fh)
    todo = [m for m in catalog if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)) or m.fuzzy)]
    total = sum(1 for m in catalog if m.id)
    print(f"{po_path}: {total} msgids, {len(todo)} untranslated or fuzzy")
PY
