"""Paths into the IMM 5686 form: parsing what a reviewer names, and what changed between two
versions of the form. Pure: the schema is `app.common.form.RequestContent`, walked as it stands
(a field added there is nameable here without a change).

A path is a JSON pointer (`/worker/passport/expiry_date`) or the same path dotted
(`worker.passport.expiry_date`); both come out as the pointer.
"""

from collections.abc import Iterable, Mapping
from typing import Any, Final, get_args

from pydantic import BaseModel

from app.common.form import RequestContent

# Who the worker is: what the letter certifies and a border officer compares with the passport.
# After submit these never change, by any route (issue 9: a representative rewrote the identity
# while a case waited on an information request).
IDENTITY_POINTERS: Final[frozenset[str]] = frozenset(
    {
        "/worker/family_name",
        "/worker/given_names",
        "/worker/date_of_birth",
        "/worker/citizenship",
        "/worker/passport/number",
        "/worker/passport/issuing_country",
    }
)


class UnknownPath(ValueError):
    """The path names no field of the form."""


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The form section an annotation holds (`Passport`, `Representative | None`), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in get_args(annotation):
        found = _model_of(argument)
        if found is not None:
            return found
    return None


def to_pointer(path: str) -> str:
    """The JSON pointer of a form path (pointer or dotted), checked against the form schema;
    `UnknownPath` when a segment names no field (a list's items cannot be named one by one)."""
    text = path.strip()
    parts = text[1:].split("/") if text.startswith("/") else text.split(".")
    model: type[BaseModel] | None = RequestContent
    for part in parts:
        if model is None or part not in model.model_fields:
            raise UnknownPath(path)
        model = _model_of(model.model_fields[part].annotation)
    return "/" + "/".join(parts)


def leaf_pointers(pointer: str) -> list[str]:
    """The fields a checked pointer names: itself for a field, every field inside a section (so
    that the representative is asked for fields, each editable on its own)."""
    model: type[BaseModel] | None = RequestContent
    for part in pointer[1:].split("/"):
        assert model is not None
        model = _model_of(model.model_fields[part].annotation)
    if model is None:
        return [pointer]
    return [leaf for name in model.model_fields for leaf in leaf_pointers(f"{pointer}/{name}")]


def covers(outer: str, inner: str) -> bool:
    """Whether pointer `outer` is `inner` or one of the sections holding it."""
    return inner == outer or inner.startswith(outer + "/")


def touches_identity(pointer: str) -> bool:
    """Whether a change at `pointer` may change an identity field (it is one, or holds one)."""
    return any(
        covers(pointer, identity) or covers(identity, pointer) for identity in IDENTITY_POINTERS
    )


def changed_pointers(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The pointers of the leaf values that differ between two forms, sorted. Sections compare
    key by key (a missing key reads as null); lists and scalars compare whole."""
    return sorted(_diff(before, after, ""))


def _diff(before: Any, after: Any, prefix: str) -> Iterable[str]:
    if isinstance(before, Mapping) or isinstance(after, Mapping):
        old = before if isinstance(before, Mapping) else {}
        new = after if isinstance(after, Mapping) else {}
        if not old and not new and before != after:
            yield prefix  # a null section became {} or the reverse: no leaf to name
            return
        for key in sorted(set(old) | set(new)):
            yield from _diff(old.get(key), new.get(key), f"{prefix}/{key}")
        return
    if before != after:
        yield prefix
