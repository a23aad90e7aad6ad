"""multipart/form-data bodies parsed in memory, with a size limit enforced while they arrive.

Not Starlette's ``request.form()``: it spools every file part above 1 MB to a temporary file on
disk, and the server promises never to write user images to disk. Here the body is fed chunk
by chunk to python-multipart's streaming parser and each part collects into a bytearray; the
request is refused as soon as the body passes the limit, so a huge upload costs at most the
limit in memory, never the whole upload.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

# The forms here have 2-3 fields; a few more is tolerated, hundreds is abuse.
MAX_PARTS = 8


class UploadError(Exception):
    """A request body that cannot be accepted; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Part:
    """One form field: a file (``filename`` set, possibly "") or a plain text field."""

    name: str
    filename: str | None
    data: bytearray = field(default_factory=bytearray)

    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


class _Collector:
    """python-multipart callbacks that build the list of Parts."""

    def __init__(self) -> None:
        self.parts: list[Part] = []
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._disposition = b""

    def callbacks(self) -> dict:
        return {
            "on_part_begin": self._part_begin,
            "on_part_data": self._part_data,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value_data,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
        }

    def _part_begin(self) -> None:
        if len(self.parts) >= MAX_PARTS:
            raise UploadError(f"too many form fields (at most {MAX_PARTS})", status=400)
        self._disposition = b""

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        if bytes(self._header_name).lower() == b"content-disposition":
            self._disposition = bytes(self._header_value)
        self._header_name.clear()
        self._header_value.clear()

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        if b"name" not in options:
            raise UploadError("a form part has no name (Content-Disposition)", status=400)
        # The filename is kept only to tell file fields from text fields; it is never used as a
        # path (the server accepts no client-supplied paths).
        filename = options[b"filename"].decode("utf-8", "replace") if b"filename" in options else None
        self.parts.append(Part(name=options[b"name"].decode("utf-8", "replace"), filename=filename))

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        self.parts[-1].data += data[start:end]


def boundary_of(content_type: str | None) -> bytes:
    """The multipart boundary of a Content-Type header; UploadError when it is not a form."""
    kind, options = parse_options_header(content_type or "")
    if kind != b"multipart/form-data" or not options.get(b"boundary"):
        raise UploadError("expected a multipart/form-data body (an HTML form with files)", status=400)
    return options[b"boundary"]


def check_declared_length(content_length: str | None, *, limit: int) -> None:
    """Refuse early, before reading anything, when Content-Length already says too much."""
    if content_length is None or not content_length.isdigit():
        return  # chunked or absent: the streaming count below still applies
    if int(content_length) > limit:
        raise UploadError(too_large_message(int(content_length), limit=limit), status=413)


def too_large_message(size: int | None, *, limit: int) -> str:
    """``size`` None: the body was cut off at the limit, so its full size is unknown."""
    amount = f"{_mb(size)} MB is" if size is not None else "the request is"
    return (
        f"upload too large: {amount} above the server's limit of {_mb(limit)} MB "
        f"(start the server with a larger --max-upload-mb to accept it)"
    )


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f}".rstrip("0").rstrip(".")


async def read_form(chunks: AsyncIterator[bytes], *, boundary: bytes, limit: int) -> dict[str, Part]:
    """Parse a multipart body from ``chunks`` into {field name: Part}, keeping at most ``limit``
    body bytes in memory. A repeated field name keeps its first part."""
    collector = _Collector()
    parser = MultipartParser(boundary, collector.callbacks())
    received = 0
    try:
        async for chunk in chunks:
            received += len(chunk)
            if received > limit:
                raise UploadError(too_large_message(None, limit=limit), status=413)
            parser.write(chunk)
        parser.finalize()
    except FormParserError:
        raise UploadError("malformed multipart/form-data body", status=400) from None
    form: dict[str, Part] = {}
    for part in collector.parts:
        form.setdefault(part.name, part)
    return form
