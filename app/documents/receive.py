"""The upload form, parsed once as it streams in, the file part straight into the store's spool.

Starlette's form parser would spool the file part to a temporary file of its own, which the store
then copied (and hashed, and fsynced): two copies of every upload. Here python-multipart's
streaming parser feeds the file part's bytes to `Store.spool`, which counts, hashes and keeps them
as they arrive and stops keeping them past the budget. The framing limits are Starlette's (1,000
fields, 1,000 files, 1 MiB per text field), so a hostile form is refused as before: framing the
parser cannot accept is 400, a form that parses but is not the one the route takes is 422 naming
the field, and never with the submitted value.
"""

import codecs
from collections.abc import Callable
from dataclasses import dataclass, field

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request

from app.documents.models import DocumentKind
from app.problems import FieldError, ValidationFailed
from app.storage.base import Spool

MAX_FIELDS = 1000
MAX_FILES = 1000
MAX_FIELD_BYTES = 1024 * 1024
FILE = object()
"""A file part's value in `_Form.values` (its bytes are in the spool or discarded)."""


@dataclass
class Upload:
    kind: DocumentKind
    filename: str | None
    content_type: str | None
    spool: Spool


class _BadForm(Exception):
    pass


@dataclass
class _Form:
    """python-multipart's callbacks: text fields kept (up to 1 MiB), the first `file` part
    written to a spool, any other file part counted and dropped."""

    open_spool: Callable[[], Spool]
    charset: str
    values: dict[str, list[object]] = field(default_factory=dict)
    spool: Spool | None = None
    filename: str | None = None
    content_type: str | None = None
    fields: int = 0
    files: int = 0
    _headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    _header: tuple[bytes, bytes] = (b"", b"")
    _name: str = ""
    _text: bytearray | None = None
    _writing: bool = False

    def on_part_begin(self) -> None:
        self._headers, self._text, self._writing = [], None, False

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header = (self._header[0] + data[start:end], self._header[1])

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header = (self._header[0], self._header[1] + data[start:end])

    def on_header_end(self) -> None:
        self._headers.append((self._header[0].lower(), self._header[1]))
        self._header = (b"", b"")

    def on_headers_finished(self) -> None:
        disposition = dict(self._headers).get(b"content-disposition")
        _, options = parse_options_header(disposition)
        if b"name" not in options:
            raise _BadForm("a part without a name")
        self._name = self._decode(options[b"name"])
        if b"filename" not in options:
            self.fields += 1
            if self.fields > MAX_FIELDS:
                raise _BadForm("too many fields")
            self._text = bytearray()
            return
        self.files += 1
        if self.files > MAX_FILES:
            raise _BadForm("too many files")
        if self._name == "file" and self.spool is None:
            self.spool = self.open_spool()
            self.filename = self._decode(options[b"filename"])
            content_type = dict(self._headers).get(b"content-type")
            self.content_type = self._decode(content_type) if content_type else None
            self._writing = True

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._writing:
            assert self.spool is not None
            self.spool.write(memoryview(data)[start:end])
        elif self._text is not None:
            if len(self._text) + end - start > MAX_FIELD_BYTES:
                raise _BadForm("a text field over 1 MiB")
            self._text += data[start:end]

    def on_part_end(self) -> None:
        value = FILE if self._text is None else self._decode(bytes(self._text))
        self.values.setdefault(self._name, []).append(value)
        self._writing = False

    def on_end(self) -> None:
        pass

    def _decode(self, raw: bytes) -> str:
        try:
            return raw.decode(self.charset)
        except UnicodeDecodeError:
            return raw.decode("latin-1")

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {
            name: getattr(self, name)
            for name in (
                "on_part_begin",
                "on_part_data",
                "on_part_end",
                "on_header_field",
                "on_header_value",
                "on_header_end",
                "on_headers_finished",
                "on_end",
            )
        }


def _charset(params: dict[bytes, bytes]) -> str:
    try:
        return codecs.lookup(params.get(b"charset", b"utf-8").decode("latin-1")).name
    except LookupError:
        return "latin-1"


async def receive_upload(request: Request, *, open_spool: Callable[[], Spool]) -> Upload:
    """Parse the form, the file part into a spool; refused forms leave no spool behind."""
    content_type, params = parse_options_header(request.headers.get("content-type"))
    form = _Form(open_spool=open_spool, charset=_charset(params))
    try:
        if content_type == b"multipart/form-data":
            await _parse(request, form, params)
        return _validated(form)
    except BaseException:
        if form.spool is not None:
            await run_in_threadpool(form.spool.discard)
        raise


async def _parse(request: Request, form: _Form, params: dict[bytes, bytes]) -> None:
    if b"boundary" not in params:
        raise HTTPException(400)
    try:
        parser = MultipartParser(params[b"boundary"], form.callbacks())  # type: ignore[arg-type]
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except (_BadForm, FormParserError, ValueError) as exc:
        raise HTTPException(400) from exc


def _validated(form: _Form) -> Upload:
    """The form the route takes: one `kind` among the document kinds, one file part that ended."""
    errors: list[FieldError] = []
    kinds, files = form.values.get("kind", []), form.values.get("file", [])
    kind: DocumentKind | None = None
    if len(kinds) != 1:
        errors.append(FieldError(pointer="/kind", message=_count_problem(len(kinds))))
    elif kinds[0] not in {member.value for member in DocumentKind}:
        errors.append(FieldError(pointer="/kind", message="not one of the document kinds"))
    else:
        kind = DocumentKind(str(kinds[0]))
    if len(files) != 1:
        errors.append(FieldError(pointer="/file", message=_count_problem(len(files))))
    elif files[0] is not FILE or form.spool is None:
        errors.append(FieldError(pointer="/file", message="must be a file part"))
    if errors or kind is None or form.spool is None:
        raise ValidationFailed(f"{len(errors)} field(s) are invalid", errors=errors)
    return Upload(
        kind=kind, filename=form.filename, content_type=form.content_type, spool=form.spool
    )


def _count_problem(count: int) -> str:
    return "Field required" if count == 0 else "sent more than once"
