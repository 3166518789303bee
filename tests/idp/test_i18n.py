"""The English catalogue covers every French message id, and the committed .mo matches the .po
(so a fresh clone shows English without a compile step)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

import idp

PACKAGE = Path(idp.__file__).parent
CATALOGUE = PACKAGE / "translations" / "en" / "LC_MESSAGES"


def english_po():
    with (CATALOGUE / "messages.po").open("rb") as handle:
        return read_po(handle, locale="en")


def extracted_ids() -> set:
    with (PACKAGE / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    return {
        message[2] if isinstance(message[2], str) else tuple(message[2])
        for message in extract_from_dir(str(PACKAGE), method_map, options_map)
    }


def test_every_message_of_the_pages_has_an_english_translation():
    catalogue = english_po()
    untranslated = []
    for message_id in extracted_ids():
        key = message_id[0] if isinstance(message_id, tuple) else message_id
        entry = catalogue.get(key)
        strings = entry.string if entry is not None else None
        if not strings or (isinstance(strings, tuple) and not all(strings)) or entry.fuzzy:
            untranslated.append(key)
    assert untranslated == [], "add English for these (then `make translations`)"


def _entries(catalogue) -> dict:
    """``{id: string}`` with plural forms as tuples (the .mo reader gives lists)."""

    def plain(value):
        return tuple(value) if isinstance(value, list | tuple) else value

    return {plain(message.id): plain(message.string) for message in catalogue if message.id}


def test_compiled_catalogue_matches_its_source():
    with (CATALOGUE / "messages.mo").open("rb") as handle:
        compiled = _entries(read_mo(handle))
    assert compiled == _entries(english_po()), "run `make translations` and commit the .mo"
