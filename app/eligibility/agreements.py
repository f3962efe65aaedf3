"""Who each free trade agreement covers, and the professions its professionals' codes accept.

Source: `rules_notes.md` §9 (confirmed against IRCC's FTA pages it cites) and the `notes` of the
codes in `exemption_codes.json`. A code belongs to an agreement through its record's `agreement`
field, so a new code of a known agreement needs no change here. The reference gives these facts in
prose only, which is why they are a table in code; `docs/reference_discrepancies.md` lists what it
leaves out (the WTO members for GATS, the CPTPP categories open to Australian permanent residents,
the United Kingdom's CPTPP accession).
"""

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Final

from app.common.findings import Message

__all__ = [
    "AGREEMENTS",
    "CUSMA_PROFESSIONS",
    "EU_MEMBER_STATES",
    "GATS_PROFESSIONS",
    "Agreement",
    "matches_profession",
]

# The 27 member states of the European Union (CETA's parties besides Canada), ISO 3166-1 alpha-2.
EU_MEMBER_STATES: Final = frozenset(
    (
        *("AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE"),
        *("IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"),
    )
)
_FOREVER: Final = date(1, 1, 1)


@dataclass(frozen=True)
class Agreement:
    """One agreement: its name and who it covers, in both languages.

    `citizens` maps each covered citizenship to the date the agreement took effect for it (CPTPP
    parties joined one by one). `permanent_residents` lists the parties whose permanent residents
    every category covers; `pr_some_categories` those whose permanent residents only some
    categories cover (a reviewer checks the category). `excluded` maps a code to the
    citizenships it does not cover although the agreement does.
    """

    name: Message
    covers: Message
    citizens: Mapping[str, date]
    permanent_residents: frozenset[str] = frozenset()
    pr_some_categories: frozenset[str] = frozenset()
    excluded: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def covers_citizen(self, country: str, *, code: str, on: date) -> bool:
        """Whether a citizen of `country` may use `code` on `on`."""
        since = self.citizens.get(country)
        return since is not None and since <= on and country not in self.excluded.get(code, ())


def _since(countries: str, day: date = _FOREVER) -> dict[str, date]:
    return dict.fromkeys(countries.split(), day)


_CPTPP_PARTIES: Final = {
    **_since("AU JP MX NZ SG", date(2018, 12, 30)),
    **_since("VN", date(2019, 1, 14)),
    **_since("PE", date(2021, 9, 21)),
    **_since("MY", date(2022, 11, 29)),
    **_since("CL", date(2023, 2, 20)),
    **_since("BN", date(2023, 7, 12)),
}


def _bilateral(key: str, en: str, fr: str, country: str, of_en: str, of_fr: str) -> Agreement:
    return Agreement(
        name=Message(f"the {en} ({key})", f"l'{fr}"),
        covers=Message(f"citizens of {of_en}", f"les citoyens {of_fr}"),
        citizens=_since(country),
    )


AGREEMENTS: Final[Mapping[str, Agreement]] = MappingProxyType(
    {
        "CUSMA": Agreement(
            name=Message(
                "the Canada-United States-Mexico Agreement (CUSMA)",
                "l'Accord Canada-États-Unis-Mexique (ACEUM)",
            ),
            covers=Message(
                "citizens of the United States and Mexico only (not permanent residents, not "
                "citizens of Guam, the Northern Mariana Islands, American Samoa or the US Virgin "
                "Islands)",
                "les citoyens des États-Unis et du Mexique seulement (ni les résidents "
                "permanents, ni les citoyens de Guam, des îles Mariannes du Nord, des Samoa "
                "américaines ou des îles Vierges des États-Unis)",
            ),
            citizens=_since("US MX"),
        ),
        "CETA": Agreement(
            name=Message(
                "the Canada-European Union Comprehensive Economic and Trade Agreement (CETA)",
                "l'Accord économique et commercial global entre le Canada et l'Union européenne "
                "(AECG)",
            ),
            covers=Message(
                "citizens of the 27 member states of the European Union",
                "les citoyens des 27 États membres de l'Union européenne",
            ),
            citizens=dict.fromkeys(EU_MEMBER_STATES, _FOREVER),
        ),
        "CUKTCA": Agreement(
            name=Message(
                "the Canada-United Kingdom Trade Continuity Agreement (CUKTCA)",
                "l'Accord de continuité commerciale Canada-Royaume-Uni",
            ),
            covers=Message("citizens of the United Kingdom", "les citoyens du Royaume-Uni"),
            citizens=_since("GB"),
        ),
        "CPTPP": Agreement(
            name=Message(
                "the Comprehensive and Progressive Agreement for Trans-Pacific Partnership (CPTPP)",
                "l'Accord de partenariat transpacifique global et progressiste (PTPGP)",
            ),
            covers=Message(
                "citizens of its parties from the date each joined: Australia, Japan, Mexico, "
                "New Zealand and Singapore (2018-12-30), Vietnam (2019-01-14), Peru "
                "(2021-09-21), Malaysia (2022-11-29; intra-company transferees only as "
                "executives or senior managers), Chile (2023-02-20) and Brunei (2023-07-12); "
                "some categories also admit permanent residents of Australia",
                "les citoyens de ses parties à compter de la date de leur adhésion : Australie, "
                "Japon, Mexique, Nouvelle-Zélande et Singapour (2018-12-30), Viet Nam "
                "(2019-01-14), Pérou (2021-09-21), Malaisie (2022-11-29; personnes mutées à "
                "l'intérieur d'une société seulement comme cadres supérieurs ou gestionnaires), "
                "Chili (2023-02-20) et Brunéi (2023-07-12); certaines catégories admettent "
                "aussi les résidents permanents de l'Australie",
            ),
            citizens=_CPTPP_PARTIES,
            pr_some_categories=frozenset({"AU"}),
            excluded={"T54": frozenset({"MY"}), "T55": frozenset({"MY"})},
        ),
        "CCFTA": _bilateral(
            "CCFTA",
            "Canada-Chile Free Trade Agreement",
            "Accord de libre-échange Canada-Chili",
            "CL",
            "Chile",
            "du Chili",
        ),
        "CCOFTA": _bilateral(
            "CCOFTA",
            "Canada-Colombia Free Trade Agreement",
            "Accord de libre-échange Canada-Colombie",
            "CO",
            "Colombia",
            "de la Colombie",
        ),
        "CKFTA": _bilateral(
            "CKFTA",
            "Canada-Korea Free Trade Agreement",
            "Accord de libre-échange Canada-Corée",
            "KR",
            "the Republic of Korea",
            "de la République de Corée",
        ),
        "CPAFTA": _bilateral(
            "CPAFTA",
            "Canada-Panama Free Trade Agreement",
            "Accord de libre-échange Canada-Panama",
            "PA",
            "Panama",
            "du Panama",
        ),
        "CPFTA": Agreement(
            name=Message(
                "the Canada-Peru Free Trade Agreement (CPFTA)",
                "l'Accord de libre-échange Canada-Pérou",
            ),
            covers=Message(
                "citizens and permanent residents of Peru",
                "les citoyens et les résidents permanents du Pérou",
            ),
            citizens=_since("PE"),
            permanent_residents=frozenset({"PE"}),
        ),
        "CUFTA": _bilateral(
            "CUFTA",
            "Canada-Ukraine Free Trade Agreement",
            "Accord de libre-échange Canada-Ukraine",
            "UA",
            "Ukraine",
            "de l'Ukraine",
        ),
    }
)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _professions(entries: Mapping[str, str]) -> Mapping[str, re.Pattern[str]]:
    """Each profession with a pattern of its English and French word stems (whole words)."""
    return MappingProxyType(
        {name: re.compile(rf"\b(?:{stems})", re.IGNORECASE) for name, stems in entries.items()}
    )


# CUSMA Chapter 16, Appendix 2: the 63 professions (rules_notes.md §9), each with the stems of
# the English and French job titles that name it.
CUSMA_PROFESSIONS: Final = _professions(
    {
        "Accountant": r"accountant|comptable|cpa\b",
        "Architect": r"architect",
        "Computer Systems Analyst": r"(?:computer )?systems? analyst|analyste (?:en |de )?"
        r"(?:informatique|systemes)",
        "Disaster Relief Insurance Claims Adjuster": r"(?:claims? )?adjuster|expert en sinistres"
        r"|ajusteur",
        "Economist": r"economist|economiste",
        "Engineer": r"engineer|ingenieur",
        "Forester": r"forester|forestier",
        "Graphic Designer": r"graphic designer|graphiste|designer graphique",
        "Hotel Manager": r"hotel manager|directeur d'hotel|directrice d'hotel|gerant d'hotel",
        "Industrial Designer": r"industrial designer|designer industriel",
        "Interior Designer": r"interior designer|designer d'interieur|decorat",
        "Land Surveyor": r"(?:land )?surveyor|arpenteu",
        "Landscape Architect": r"landscape architect|architecte paysag",
        "Lawyer (incl. Quebec notary)": r"lawyer|attorney|counsel\b|avocat|notai",
        "Librarian": r"librarian|bibliothecaire",
        "Management Consultant": r"management consultant|consultant en (?:gestion|management)"
        r"|conseill\w* en (?:gestion|management)",
        "Mathematician (incl. statistician, actuary)": r"mathematic|statistic|actuar",
        "Range Manager/Range Conservationist": r"range (?:manager|conservationist)",
        "Research Assistant (post-secondary institution)": r"research assistant|assistant\w* de"
        r" recherche",
        "Scientific Technician/Technologist": r"scientific (?:technician|technologist)"
        r"|technicien\w* scientifique|technologue",
        "Social Worker": r"social worker|travailleu\w* social",
        "Sylviculturist (incl. forestry specialist)": r"sylvicultur|silvicultur|forestry "
        r"specialist",
        "Technical Publications Writer": r"technical (?:publications )?writer|redact\w* "
        r"techni",
        "Urban Planner (incl. geographer)": r"urban planner|urbaniste|geograph",
        "Vocational Counsellor": r"vocational counsel|career counsel|conseill\w* "
        r"d'orientation",
        "Dentist": r"dentist",
        "Dietitian": r"dietitian|dietician|dieteti",
        "Medical Laboratory Technologist/Medical Technologist": r"medical (?:laboratory )?"
        r"technologist|technologiste medical",
        "Nutritionist": r"nutritionist",
        "Occupational Therapist": r"occupational therapist|ergotherap",
        "Pharmacist": r"pharmacist|pharmacien",
        "Physician (teaching or research only)": r"physician|medecin",
        "Physiotherapist/Physical Therapist": r"physiotherap|physical therapist",
        "Psychologist": r"psychologist|psychologue",
        "Recreational Therapist": r"recreation\w* therapist|recreologue|therapeute en loisir",
        "Registered Nurse": r"registered nurse|infirmi",
        "Veterinarian": r"veterinar",
        "Agriculturist (incl. agronomist)": r"agricultur|agronom",
        "Animal Breeder": r"animal breeder|eleveur",
        "Animal Scientist": r"animal scientist|zootechn",
        "Apiculturist": r"apicultur",
        "Astronomer": r"astronom",
        "Biochemist": r"biochemist|biochimiste",
        "Biologist (incl. plant pathologist)": r"biologist|biologiste|plant pathologist",
        "Chemist": r"chemist|chimiste",
        "Dairy Scientist": r"dairy scientist",
        "Entomologist": r"entomolog",
        "Epidemiologist": r"epidemiolog",
        "Geneticist": r"geneticist|geneticien",
        "Geologist": r"geolog",
        "Geochemist": r"geochemist|geochimiste",
        "Geophysicist (incl. oceanographer)": r"geophysic|oceanograph",
        "Horticulturist": r"horticultur",
        "Meteorologist": r"meteorolog",
        "Pharmacologist": r"pharmacolog",
        "Physicist": r"physicist|physicien",
        "Plant Breeder": r"plant breeder|selectionneu",
        "Poultry Scientist": r"poultry scientist|aviculteu",
        "Soil Scientist": r"soil scientist|pedolog",
        "Zoologist": r"zoolog",
        "Teacher - College": r"(?:college|cegep) (?:teacher|instructor|lecturer)|professeu\w* "
        r"(?:de|au) (?:college|cegep)",
        "Teacher - Seminary": r"seminary|seminaire",
        "Teacher - University": r"professor|lecturer|university teacher|professeu\w* "
        r"(?:d'universite|universitaire)|charge\w* de cours",
    }
)

# GATS professionals (T33): the professions of rules_notes.md §9 and the T33 record's notes.
GATS_PROFESSIONS: Final = _professions(
    {
        "Engineer": r"engineer|ingenieur",
        "Agrologist": r"agrolog|agronom",
        "Architect": r"architect",
        "Forestry professional": r"forest|forestier|sylvicult",
        "Geomatics professional": r"geomatic",
        "Land surveyor": r"(?:land )?surveyor|arpenteu",
        "Foreign legal consultant": r"legal consultant|conseill\w* juridique|lawyer|avocat",
        "Urban planner": r"urban planner|urbaniste",
        "Senior computer specialist": r"computer|software|informati|systems? analyst",
    }
)


def matches_profession(job_title: str, professions: Mapping[str, re.Pattern[str]]) -> bool:
    """Whether the job title names one of `professions` (accents and case ignored)."""
    folded = _fold(job_title)
    return any(pattern.search(folded) for pattern in professions.values())
