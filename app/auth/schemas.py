from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from app.auth.models import Role
from app.common.text import SingleLine

Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), SingleLine
]


class AccountCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "role": "representative",
                    "name": "Robin Lee",
                    "email": "robin@acme.example",
                    "organization": "Acme Inc",
                }
            ]
        },
    )

    role: Role
    name: Name
    email: EmailStr = Field(max_length=254)
    organization: Name | None = Field(
        default=None, description="Required for representatives: the employer or its law firm."
    )


class OrganizationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str


class AccountOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    role: Role
    name: str
    email: str
    organization: OrganizationOut | None
    created_at: datetime


class AccountCreated(AccountOut):
    token: str = Field(description="The bearer token. Shown once; only its hash is kept.")
