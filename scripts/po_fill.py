"""Fill a Django message catalog from a JSON map {msgid: msgstr} and compile its .mo next to it.

    python scripts/po_fill.py lending/locale/zh_Hans/LC_MESSAGES/django.po lending/locale/zh_Hans.json

Only empty or fuzzy entries are filled; the .mo is always rewritten so that it matches the .po.
"""

import json
import sys
from pathlib import Path

import polib


def main(po_path: str, json_path: str | None = None) -> int:
    catalog = polib.pofile(po_path, wrapwidth=0)
    translations = json.loads(Path(json_path).read_text(encoding="utf-8")) if json_path else {}
    for entry in catalog:
        if entry.msgid in translations and (not entry.msgstr or "fuzzy" in entry.flags):
            entry.msgstr = translations[entry.msgid]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
    catalog.save(po_path)
    catalog.save_as_mofile(str(Path(po_path).with_suffix(".mo")))
    missing = [e.msgid for e in catalog.untranslated_entries()]
    if missing and "zh_Hans" in po_path:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
