"""When an immigration medical exam (IME) is needed before a port-of-entry application.

Source: `poe_eligibility.md` §4 and rule R12 (IRPR R198(2)(b), R30; IRCC "Who must submit an
immigration medical examination", page modified 2024-07-26). Two triggers:

- the job setting, whatever the length of stay: health care, clinical laboratories, schools,
  child care, care in the home, agriculture (as NOC 2021 unit groups below);
- the residence: a stay over six months, and more than six consecutive months in the year before
  entry in a country or territory IRCC designates. The designated list is not in the reference,
  so a reviewer judges the countries the worker lists (`worker.countries_lived_last_year`).
"""

from collections.abc import Mapping
from datetime import date
from types import MappingProxyType
from typing import Final

from app.common.form import RequestContent

__all__ = [
    "IME_KIND",
    "MEDICAL_EXAM_NOC_CODES",
    "MEDICAL_EXAM_NOC_PREFIXES",
    "add_months",
    "job_setting_needs_exam",
    "medical_exam_triggered",
    "stay_over_six_months",
]

IME_KIND: Final = "medical_exam_results"

MEDICAL_EXAM_NOC_PREFIXES: Final[tuple[str, ...]] = (
    "3",  # Broad category 3, health: health care settings, clinical laboratories, patient
    # attendants in nursing and geriatric homes (33102), physicians and nurses.
)
MEDICAL_EXAM_NOC_CODES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "40021": "School principals and administrators of elementary and secondary education",
        "41220": "Secondary school teachers",
        "41221": "Elementary school and kindergarten teachers",
        "43100": "Elementary and secondary school teacher assistants",
        "42202": "Early childhood educators and assistants (day care)",
        "44100": "Home child care providers",
        "44101": "Home support workers, caregivers and related occupations (domestic work)",
        "82030": "Agricultural service contractors and farm supervisors",
        "84120": "Specialized livestock workers and farm machinery operators",
        "85100": "Livestock labourers",
        "85101": "Harvesting labourers",
        "85103": "Nursery and greenhouse labourers",
    }
)
# Left out on purpose: 43109 (other instructors: driving schools, hobby courses), food and fish
# processing labourers (9510x, factories rather than farms) and 85102 (aquaculture labourers).


def add_months(day: date, months: int) -> date:
    """`day` plus `months` calendar months, on the month's last day when it is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def job_setting_needs_exam(noc_code: str | None) -> bool:
    """The job-setting trigger, read from a NOC 2021 code."""
    return (
        noc_code is not None
        and len(noc_code) == 5
        and (noc_code in MEDICAL_EXAM_NOC_CODES or noc_code.startswith(MEDICAL_EXAM_NOC_PREFIXES))
    )


def stay_over_six_months(content: RequestContent) -> bool:
    """The stay test of the residence trigger: the employment lasts more than six months."""
    start, end = content.work.start_date, content.work.end_date
    return start is not None and end is not None and end > add_months(start, 6)


def medical_exam_triggered(content: RequestContent) -> bool:
    """Whether either trigger may apply, so the IME results are asked for."""
    return job_setting_needs_exam(content.work.noc_code) or stay_over_six_months(content)
