"""Attachments encrypted at rest: AES-256-GCM under a key derived from the deployment secret for
this purpose only, a random nonce per file, and the file's place (application id and SHA-256 of
the clear bytes) authenticated with it, so a file moved to another application is refused too.

A sealed file is HEADER, a 12-byte nonce, then the ciphertext and its tag. Files written in clear
before this existed start with a PDF, JPEG or PNG signature (never HEADER) and are recognised as
such; their SHA-256 must still match their name, so a changed clear file is refused as well.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from epicontrol.core.crypto import derive_key
from epicontrol.core.errors import EpicontrolError

HEADER = b"EPICSEAL\x01"  # name and format version; no accepted file type starts like this
PURPOSE = b"epicontrol/approval-attachments/v1"
_NONCE_BYTES = 12
_DIGEST_NAME = re.compile(r"^[0-9a-f]{64}$")


class StoredFileUnreadable(EpicontrolError):
    """A stored file is missing or fails its integrity check: our data, not the caller's request,
    is at fault, so the answer is a 500 with this message and never the file's bytes."""

    status_code = 500


class FileState(StrEnum):
    SEALED = "sealed"
    CLEAR = "clear"  # written by a version before encryption, intact
    DAMAGED = "damaged"  # neither: changed on disk, or not an attachment


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a file belongs: bound to its ciphertext so it cannot be swapped for another."""

    application_id: int
    digest: str

    def associated_data(self) -> bytes:
        return HEADER + f"{self.application_id}/{self.digest}".encode()


class AttachmentCipher:
    """Seals and opens attachment files with the deployment's attachment key."""

    def __init__(self, secret: str) -> None:
        self._aead = AESGCM(derive_key(secret, PURPOSE))

    def seal(self, data: bytes, place: Placement) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return HEADER + nonce + self._aead.encrypt(nonce, data, place.associated_data())

    def open(self, blob: bytes, place: Placement) -> bytes:
        """The clear bytes, or InvalidTag if the file was changed or sealed under another key."""
        nonce = blob[len(HEADER) : len(HEADER) + _NONCE_BYTES]
        sealed = blob[len(HEADER) + _NONCE_BYTES :]
        return self._aead.decrypt(nonce, sealed, place.associated_data())


@lru_cache(maxsize=4)
def cipher_for(secret: str) -> AttachmentCipher:
    """The attachment cipher of a deployment secret (key derivation runs once)."""
    return AttachmentCipher(secret)


def is_sealed(blob: bytes) -> bool:
    return blob.startswith(HEADER)


def is_intact_clear(blob: bytes, place: Placement) -> bool:
    """A file written in clear by an earlier version, unchanged since (its name is its hash)."""
    return not is_sealed(blob) and hashlib.sha256(blob).hexdigest() == place.digest


def read_stored(path: Path, cipher: AttachmentCipher, place: Placement) -> bytes:
    """The clear bytes of a stored attachment, sealed or legacy clear; StoredFileUnreadable if
    it is missing, altered, or sealed under another deployment secret."""
    try:
        blob = path.read_bytes()
    except FileNotFoundError:
        raise StoredFileUnreadable("the stored file of this attachment is missing") from None
    state = classify(blob, place)
    if state is FileState.SEALED:
        try:
            return cipher.open(blob, place)
        except InvalidTag:
            raise StoredFileUnreadable(
                "the stored file of this attachment fails its integrity check (altered, or "
                "encrypted under another deployment secret); it is not served"
            ) from None
    if state is FileState.CLEAR:
        return blob
    raise StoredFileUnreadable(
        "the stored file of this attachment does not match its recorded SHA-256 (altered); "
        "it is not served"
    )


def write_atomically(target: Path, blob: bytes) -> None:
    """Write `blob` under `target` so that a reader sees the old file or the whole new one: a
    temporary file of its own (two writers never share one), flushed, then renamed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".part"
    )
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(blob)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def stored_files(root: Path) -> Iterator[tuple[Path, Placement]]:
    """Every attachment file under `root` (data_dir/approvals): <application id>/<sha256>,
    leaving temporary `.part` files and anything else alone."""
    if not root.is_dir():
        return
    for folder in sorted(root.iterdir(), key=lambda p: p.name):
        if not (folder.is_dir() and folder.name.isdigit()):
            continue
        for path in sorted(folder.iterdir(), key=lambda p: p.name):
            if path.is_file() and _DIGEST_NAME.match(path.name):
                yield path, Placement(int(folder.name), path.name)


@dataclass(slots=True)
class SealingReport:
    """What one pass over the stored files did."""

    encrypted: int = 0
    already_sealed: int = 0
    damaged: list[Path] = field(default_factory=list)


def classify(blob: bytes, place: Placement) -> FileState:
    if is_sealed(blob):
        return FileState.SEALED
    if is_intact_clear(blob, place):
        return FileState.CLEAR
    return FileState.DAMAGED


def seal_clear_files(
    files: list[tuple[Path, Placement]],
    cipher: AttachmentCipher,
    on_file: Callable[[], None] = lambda: None,
) -> SealingReport:
    """Encrypt in place the intact clear files among `files`; sealed ones are left as they are
    (a second pass changes nothing), damaged ones too: sealing them would hide the damage."""
    report = SealingReport()
    for path, place in files:
        blob = path.read_bytes()
        state = classify(blob, place)
        if state is FileState.CLEAR:
            write_atomically(path, cipher.seal(blob, place))
            report.encrypted += 1
        elif state is FileState.SEALED:
            report.already_sealed += 1
        else:
            report.damaged.append(path)
        on_file()
    return report
