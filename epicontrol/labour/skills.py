"""The controlled vocabularies of labour matching: skills, shifts and weekdays, in zh and en.

Codes are stored (comma-separated) on needs and profiles; labels are shown in the reader's
language. A fixed list, not free text, so that a need's "缝纫" and a resident's "sewing" meet:
the skills are those essential manufacturers asked for in February 2020 (mask fabric, protective
clothing, disinfectant, logistics).
"""

from __future__ import annotations

from collections.abc import Iterable

from epicontrol.core.errors import InvalidInput
from epicontrol.core.i18n import current_language

# code -> (English, Chinese)
SKILLS: dict[str, tuple[str, str]] = {
    "sewing_machine_operator": ("Sewing machine operator", "缝纫机操作工"),
    "machine_maintenance": ("Machine maintenance", "设备维修"),
    "packing": ("Packing", "包装"),
    "driver_licence_c": ("Driver with licence C", "驾驶员（C照）"),
    "quality_inspection": ("Quality inspection", "质检"),
    "warehouse": ("Warehouse and loading", "仓储装卸"),
    "forklift": ("Forklift operator", "叉车司机"),
    "electrician": ("Electrician", "电工"),
    "disinfection_cleaning": ("Cleaning and disinfection", "保洁消杀"),
    "canteen_cook": ("Canteen cook", "食堂厨师"),
}

SHIFTS: dict[str, tuple[str, str]] = {
    "day": ("Day shift (08:00–16:00)", "白班（08:00–16:00）"),
    "evening": ("Evening shift (16:00–24:00)", "中班（16:00–24:00）"),
    "night": ("Night shift (00:00–08:00)", "夜班（00:00–08:00）"),
}

DAYS: dict[str, tuple[str, str]] = {
    "mon": ("Mon", "周一"),
    "tue": ("Tue", "周二"),
    "wed": ("Wed", "周三"),
    "thu": ("Thu", "周四"),
    "fri": ("Fri", "周五"),
    "sat": ("Sat", "周六"),
    "sun": ("Sun", "周日"),
}


def label(vocabulary: dict[str, tuple[str, str]], code: str) -> str:
    """A code's label in the current language (the code itself if unknown)."""
    english, chinese = vocabulary.get(code, (code, code))
    return chinese if current_language() == "zh" else english


def labels(vocabulary: dict[str, tuple[str, str]], codes: str) -> list[str]:
    """The labels of a stored comma-separated list of codes."""
    return [label(vocabulary, code) for code in split(codes)]


def split(codes: str) -> list[str]:
    """A stored comma-separated list as codes."""
    return [code for code in codes.split(",") if code]


def join(
    vocabulary: dict[str, tuple[str, str]], codes: Iterable[str], *, what: str, least: int = 1
) -> str:
    """Checked codes as the stored list, in the vocabulary's order; InvalidInput names an
    unknown code or too few."""
    wanted = {code.strip() for code in codes if code.strip()}
    unknown = sorted(wanted - vocabulary.keys())
    if unknown:
        raise InvalidInput(f"unknown {what}: {', '.join(unknown)} (use {', '.join(vocabulary)})")
    if len(wanted) < least:
        raise InvalidInput(f"choose at least {least} {what}")
    return ",".join(code for code in vocabulary if code in wanted)
