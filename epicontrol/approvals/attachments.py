"""Attachments: the type read from the bytes (never the name or the browser's claim), a size
limit checked while reading, SHA-256 kept, files under settings.data_dir/approvals/."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path
from typing import BinaryIO

from epicontrol.approvals.models import ApprovalAttachment
from epicontrol.approvals.schemas import AttachmentRule
from epicontrol.core.errors import InvalidInput

CHUNK = 64 * 1024
# Magic numbers of the accepted types (schemas.ACCEPTED_TYPES).
_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


def sniff(head: bytes) -> str | None:
    """The content type the first bytes show, or None for anything we do not accept."""
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


def read_limited(stream: BinaryIO, limit: int) -> bytes:
    """The whole stream, or InvalidInput as soon as it passes `limit` bytes (a huge upload is
    not read to its end)."""
    parts: list[bytes] = []
    size = 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise InvalidInput(f"file too large: the limit is {limit:,} bytes")
        parts.append(chunk)
    return b"".join(parts)


def check(rule: AttachmentRule, data: bytes) -> str:
    """The sniffed content type if `data` may be attached under `rule`, else InvalidInput."""
    if not data:
        raise InvalidInput("the file is empty")
    if len(data) > rule.max_bytes:
        raise InvalidInput(
            f"file too large: {rule.label_en} takes at most {rule.max_bytes:,} bytes"
        )
    content_type = sniff(data[:16])
    if content_type is None or content_type not in rule.types:
        raise InvalidInput(
            f"{rule.label_en} must be one of {', '.join(rule.types)} (judged by the file's content)"
        )
    return content_type


def clean_filename(name: str) -> str:
    """A display name without folders or control characters."""
    base = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    base = re.sub(r"[\x00-\x1f\x7f\"<>]", "", base).strip() or "file"
    return base[:200]


def folder(data_dir: Path, application_id: int) -> Path:
    return data_dir / "approvals" / str(application_id)


def store(data_dir: Path, application_id: int, data: bytes) -> str:
    """Write the bytes (named by their SHA-256: the same file twice is stored once)."""
    digest = hashlib.sha256(data).hexdigest()
    target = folder(data_dir, application_id) / digest
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(".part")
        temporary.write_bytes(data)
        temporary.replace(target)  # never a half-written file under the final name
    return digest


def load(data_dir: Path, attachment: ApprovalAttachment) -> bytes:
    """The stored bytes of an attachment."""
    return (folder(data_dir, attachment.application_id) / attachment.sha256).read_bytes()
