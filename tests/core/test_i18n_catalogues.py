"""Domains' Chinese catalogues merge into one (core/i18n.py): an id must mean one thing."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from babel.messages.pofile import read_po

from epicontrol.core import i18n


def _translations_by_id() -> dict[str, dict[str, Path]]:
    seen: dict[str, dict[str, Path]] = defaultdict(dict)
    for path in i18n.catalogue_files("zh"):
        with path.open("rb") as handle:
            for message in read_po(handle, locale="zh"):
                if not message.id or message.fuzzy or not message.string:
                    continue
                key = str(message.id[0] if isinstance(message.id, tuple) else message.id)
                seen[key].setdefault(str(message.string), path)
    return seen


def test_every_catalogue_is_found() -> None:
    domains = {path.parent.parent.parent.name for path in i18n.catalogue_files("zh")}
    assert {"portal", "supplies", "enterprises", "labour", "market", "approvals"} <= domains


def test_a_message_id_has_one_translation_across_domains() -> None:
    clashes = {
        key: {text: str(path.relative_to(i18n.PACKAGE_DIR)) for text, path in texts.items()}
        for key, texts in _translations_by_id().items()
        if len(texts) > 1
    }
    assert not clashes, f"one English text translated differently by domains: {clashes}"
