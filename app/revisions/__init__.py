"""Revisions: the form as it was submitted (revision 1) and as each answer to an information
request left it (n + 1), frozen with its documents, reference-data version and triage findings."""
