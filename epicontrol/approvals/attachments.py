"""Attachments: the type read from the bytes (never the name or the browser's claim), a size
limit checked while reading (both on the clear bytes), SHA-256 kept, files encrypted at rest
(sealing.py) under settings.data_dir/approvals/."""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from pathlib import Path
from typing import BinaryIO

from epicontrol.approvals import sealing
from epicontrol.approvals.models import ApprovalAttachment
from epicontrol.approvals.schemas import AttachmentRule
from epicontrol.core.errors import InvalidInput

log = logging.getLogger(__name__)
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


def root(data_dir: Path) -> Path:
    """The folder of every application's files."""
    return data_dir / "approvals"


def folder(data_dir: Path, application_id: int) -> Path:
    return root(data_dir) / str(application_id)


def store(data_dir: Path, application_id: int, data: bytes, *, secret: str) -> str:
    """Encrypt and write the bytes (checked in clear before this), named by the SHA-256 of the
    clear bytes: the same file twice is stored once. Rewritten even if present, so that a copy
    left in clear by an earlier version is replaced by a sealed one."""
    digest = hashlib.sha256(data).hexdigest()
    place = sealing.Placement(application_id, digest)
    sealed = sealing.cipher_for(secret).seal(data, place)
    sealing.write_atomically(folder(data_dir, application_id) / digest, sealed)
    return digest


def load(data_dir: Path, attachment: ApprovalAttachment, *, secret: str) -> bytes:
    """The clear bytes of an attachment (sealed, or clear from before encryption);
    StoredFileUnreadable, logged by ids only, if the stored file cannot be trusted."""
    place = sealing.Placement(attachment.application_id, attachment.sha256)
    path = folder(data_dir, attachment.application_id) / attachment.sha256
    try:
        return sealing.read_stored(path, sealing.cipher_for(secret), place)
    except sealing.StoredFileUnreadable as refused:
        # Ids only: the file name and the content are personal.
        log.error(
            "approval attachment %d of application %d not served: %s",
            attachment.id, attachment.application_id, refused.message,
        )  # fmt: skip
        raise
