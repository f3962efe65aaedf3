from typing import Annotated

from fastapi import APIRouter, Path, Query

from app.auth.deps import CurrentAccount
from app.common.text import SingleLine
from app.db import SessionDep
from app.eligibility.checklist import document_checklist
from app.eligibility.reference import (
    CodeStatus,
    CountryStatus,
    Kind,
    Stream,
    category_stream,
    filter_codes,
    filter_countries,
    load_reference,
)
from app.eligibility.schemas import (
    CountryList,
    ExemptionCodeDetail,
    ExemptionCodeList,
    ExemptionCodeSummary,
    ReferenceVersionList,
    ReferenceVersionOut,
    RequirementOut,
)
from app.eligibility.versions import active_reference, stored_versions
from app.problems import NotFound, problem_responses

router = APIRouter(prefix="/api/v1/reference", tags=["reference"], responses=problem_responses(401))


@router.get("/exemption-codes", response_model=ExemptionCodeList, responses=problem_responses(422))
def list_exemption_codes(
    _account: CurrentAccount,
    session: SessionDep,
    status: CodeStatus | None = None,
    kind: Kind | None = None,
    stream: Stream | None = None,
    q: Annotated[
        str | None, Query(max_length=100, description="Part of a code or title"), SingleLine
    ] = None,
) -> ExemptionCodeList:
    """Exemption codes with their status and scope; `version` names the reference data used."""
    reference = active_reference(session)
    records = filter_codes(reference, kind=kind, stream=stream, status=status, query=q)
    return ExemptionCodeList(
        version=reference.version,
        items=[
            ExemptionCodeSummary(
                code=r.code,
                title=r.title,
                kind=r.kind,
                regulation=r.regulation,
                category=r.category,
                stream=category_stream(r),
                status=r.status,
                imwu_scope=r.imwu_scope,
                confirmed=r.confirmed,
                unconfirmed_fields=list(r.unconfirmed_fields),
            )
            for r in records
        ],
    )


@router.get(
    "/exemption-codes/{code}", response_model=ExemptionCodeDetail, responses=problem_responses(404)
)
def read_exemption_code(
    _account: CurrentAccount, session: SessionDep, code: Annotated[str, Path(max_length=12)]
) -> ExemptionCodeDetail:
    """One code with everything the reference knows and the documents a request for it needs."""
    reference = active_reference(session)
    record = reference.codes.get(code.strip().upper())
    if record is None:
        raise NotFound("No such exemption code")
    return ExemptionCodeDetail(
        version=reference.version,
        stream=category_stream(record),
        record=record,
        checklist=[
            RequirementOut(
                kind=i.kind,
                label=i.label,
                required=i.required,
                confirmed=i.confirmed,
                source_text=i.source_text,
            )
            for i in document_checklist(reference, record.code)
        ],
    )


@router.get("/countries", response_model=CountryList, responses=problem_responses(422))
def list_countries(
    _account: CurrentAccount,
    session: SessionDep,
    status: CountryStatus | None = None,
    poe_work_permit_eligible: bool | None = None,
) -> CountryList:
    """Visa-exempt and conditional nationalities with their visa, eTA and POE status. A
    nationality not listed is visa-required."""
    reference = active_reference(session)
    return CountryList(
        version=reference.version,
        items=filter_countries(
            reference, status=status, poe_work_permit_eligible=poe_work_permit_eligible
        ),
    )


@router.get("/versions", response_model=ReferenceVersionList)
def list_reference_versions(_account: CurrentAccount, session: SessionDep) -> ReferenceVersionList:
    """Every reference data version, newest first; the active one is the highest number. Until
    a version is loaded (`imwu reference load`), the shipped files are version 1."""
    rows = stored_versions(session)
    if not rows:
        packaged = load_reference()
        only = ReferenceVersionOut(
            number=1,
            version=packaged.version,
            as_of=packaged.as_of,
            active=True,
            stored=False,
            loaded_at=None,
            open_cases=None,
            changed_cases=None,
        )
        return ReferenceVersionList(active=1, items=[only])
    return ReferenceVersionList(
        active=rows[0].number,
        items=[
            ReferenceVersionOut(
                number=row.number,
                version=row.label,
                as_of=row.as_of,
                active=index == 0,
                stored=True,
                loaded_at=row.loaded_at,
                open_cases=row.open_cases,
                changed_cases=row.changed_cases,
            )
            for index, row in enumerate(rows)
        ],
    )
