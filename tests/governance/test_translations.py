"""Chinese first, English complete."""

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings

PO = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def test_english_catalogue_is_complete_and_keeps_placeholders():
    po = polib.pofile(str(PO))
    assert len(po) > 400
    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == []
    for entry in po:
        translated = entry.msgstr or entry.msgstr_plural.get(0, "")
        assert sorted(PLACEHOLDER.findall(entry.msgid)) == sorted(PLACEHOLDER.findall(translated)), entry.msgid


@pytest.mark.django_db
def test_chinese_by_default_even_for_an_english_browser(world, browser_client):
    client = browser_client(world.center_town)
    page = client.get("/cases/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="zh-hans">' in page and "待受理" in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/cases/"})
    page = client.get("/cases/").content.decode()
    assert '<html lang="en">' in page
    assert "待受理" not in page
    assert "To accept" in page
