from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = sorted(p for p in ROOT.glob("**/locale/zh_Hans/LC_MESSAGES/django.po") if ".venv" not in p.parts)


def test_there_is_a_chinese_catalog():
    assert CATALOGS


@pytest.mark.parametrize("po_path", CATALOGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_chinese_catalog_is_complete_and_compiled(po_path):
    catalog = polib.pofile(str(po_path))
    assert [e.msgid for e in catalog.untranslated_entries()] == []
    assert [e.msgid for e in catalog.fuzzy_entries()] == []
    compiled = polib.mofile(str(po_path.with_suffix(".mo")))
    assert {e.msgid: e.msgstr for e in compiled if e.msgid} == {e.msgid: e.msgstr for e in catalog if e.msgid}
