"""Eligibility: the versioned reference data (`reference`), what a request must contain
(`checklist`) and the IMWU prerequisite rules (`rules`). Pure: no database, no web framework.

Sources: `app/eligibility/data/` (exemption codes, visa-exempt nationalities, POE eligibility,
IMM 5686 fields and rule notes).
"""
