"""Imports every domain's models so `Base.metadata` knows every table (Alembic, tests)."""

from app.auth import models as auth_models
from app.documents import models as documents_models
from app.intake import models as intake_models

__all__ = ["auth_models", "documents_models", "intake_models"]
