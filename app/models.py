"""Imports every domain's models so `Base.metadata` knows every table (Alembic, tests)."""

from app.audit import models as audit_models
from app.auth import models as auth_models
from app.documents import models as documents_models
from app.eligibility import models as eligibility_models
from app.intake import models as intake_models
from app.letters import models as letters_models
from app.notifications import models as notifications_models
from app.queue import models as queue_models
from app.revisions import models as revisions_models
from app.triage import models as triage_models

__all__ = [
    "audit_models",
    "auth_models",
    "documents_models",
    "eligibility_models",
    "intake_models",
    "letters_models",
    "notifications_models",
    "queue_models",
    "revisions_models",
    "triage_models",
]
