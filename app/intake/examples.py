"""Examples shown in the OpenAPI description (and copied in `docs/examples/request.json`, which a
test keeps equal): a complete T11 request, the case the README walks through."""

from typing import Any

REQUEST_EXAMPLE: dict[str, Any] = {
    "language": "en",
    "exemption": {"type": "lmia_exemption", "code": "T11"},
    "employer": {
        "name": "U.S. Customs and Border Protection",
        "address": "1 Airport Rd, Ottawa ON K1V 9B4",
        "phone": "+1 613 555 0100",
        "contact_name": "Jordan Smith",
        "email": "hr@cbp.example",
        "website": "https://cbp.example",
        "size_in_canada": "21-100",
        "size_abroad": "1000+",
        "principal_activity": "Pre-clearance of travellers to the United States",
        "business_number": "123456789",
    },
    "worker": {
        "family_name": "Rivera",
        "given_names": "Alex Sam",
        "date_of_birth": "1984-03-02",
        "gender": "F",
        "citizenship": "US",
        "country_of_birth": "US",
        "country_of_residence": "US",
        "other_citizenships": [],
        "travel_passport_country": "US",
        "currently_in_canada": False,
        "current_location_country": "US",
        "holds_or_applied_for_work_permit": False,
        "charged_or_convicted": False,
        "passport": {"number": "X1234567", "issuing_country": "US", "expiry_date": "2031-05-01"},
    },
    "work": {
        "job_title": "CBP pre-clearance officer",
        "noc_code": "43203",
        "location": {"address": "1000 Airport Parkway Private", "city": "Ottawa", "province": "ON"},
        "start_date": "2027-01-04",
        "end_date": "2027-06-30",
        "duties": "Pre-clearance inspection of travellers bound for the United States",
        "minimum_education": "High school diploma",
        "skills_experience": "3 years with CBP",
        "certification": {"provincial": False, "territorial": False, "federal": False},
        "wage": {"amount": "95000.00", "currency": "USD", "per": "year"},
        "hours_per_week": 37.5,
        "intended_port_of_entry": "Ottawa Macdonald-Cartier Airport",
        "intended_entry_date": "2027-01-02",
    },
}

PATCH_EXAMPLE: dict[str, Any] = {"work": {"hours_per_week": 40}}
