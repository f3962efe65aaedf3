"""Triage: the review rules run after the prerequisites (`rules`), the engine that combines both
and ranks a request (`engine`), and the federal business-day calendar (`calendar`). Pure: no
database, no web framework.

Sources: `app/eligibility/data/` (`poe_eligibility.md` §4 and §6, `rules_notes.md` §1 and §8,
`exemption_codes.json`) and the IMM 5686 fields.
"""
