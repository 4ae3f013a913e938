"""Streamed exports of a granted dataset: batches read by a server-side cursor, encoded as read.

The grant (and the API key, if one is used) is checked when the request arrives and again
before every batch, in a fresh short transaction so that a revocation committed meanwhile is
seen (a long read transaction on SQLite would keep showing its old snapshot). A stream whose
grant is revoked stops with an error: the connection is cut before the end of the body, so the
client sees a failed download, never a complete-looking truncated file.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from epicontrol.core import audit
from epicontrol.core.crypto import PersonalDataVault
from epicontrol.core.db import utcnow
from epicontrol.exchange import datasets, formats, stats
from epicontrol.exchange.access import Caller, Plan, still_allowed

BATCH_ROWS = 5_000  # rows per batch and per Arrow record batch (Parquet groups ten: formats.py)


class ExportStopped(Exception):
    """The grant or key stopped being valid while the export was running."""


def _converters(
    plan: Plan, vault: PersonalDataVault
) -> list[Callable[[list[Any]], list[Any]] | None]:
    """Per field, how to turn a fetched column into the exported one (None: as fetched)."""

    def decrypt(column: list[Any]) -> list[Any]:
        return [None if blob is None else vault.decrypt(blob) for blob in column]

    def as_bool(column: list[Any]) -> list[Any]:
        # SQLite answers a boolean expression with 0 or 1.
        return [None if value is None else bool(value) for value in column]

    chosen: list[Callable[[list[Any]], list[Any]] | None] = []
    for name in plan.fields:
        field = plan.dataset.field(name)
        chosen.append(decrypt if field.identity else as_bool if field.kind == "bool" else None)
    return chosen


class ExportStream:
    """One running export: iterate it for the body's bytes; `rows` and `bytes` count as it goes."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        vault: PersonalDataVault,
        caller: Caller,
        plan: Plan,
        *,
        fmt: str,
        day: date,
        batch_rows: int = BATCH_ROWS,
    ) -> None:
        self.sessions, self.vault, self.caller, self.plan = sessions, vault, caller, plan
        self.fmt, self.day, self.batch_rows = fmt, day, batch_rows
        self.rows = 0
        self.bytes = 0

    def fields(self) -> list[tuple[str, str]]:
        """(name, kind) of the exported fields."""
        return [(name, self.plan.dataset.field(name).kind) for name in self.plan.fields]

    def __iter__(self) -> Iterator[bytes]:
        started = time.monotonic()
        status, note = 200, ""
        try:
            with self.sessions() as db:
                self._audit_start(db)
                db.commit()
                for chunk in formats.encode(self.fmt, self.fields(), self._batches(db)):
                    self.bytes += len(chunk)
                    yield chunk
        except ExportStopped as stop:
            status, note = 403, f"stopped: {stop}"
            raise
        except GeneratorExit:
            status, note = 499, "the client went away"
            raise
        except Exception as error:
            status, note = 500, type(error).__name__
            raise
        finally:
            self._log(status, note, int((time.monotonic() - started) * 1000))

    def _batches(self, db: Session) -> Iterator[formats.Columns]:
        convert = _converters(self.plan, self.vault)
        for division in self.plan.divisions:
            query = datasets.query(self.plan.dataset, division, self.day, self.plan.fields)
            # Core execution (no ORM row processing); a server-side cursor on PostgreSQL.
            result = db.connection().execute(query.execution_options(stream_results=True))
            for part in result.partitions(self.batch_rows):
                self._recheck()
                columns = [list(c) for c in zip(*part, strict=True)]
                columns = [f(c) if f else c for f, c in zip(convert, columns, strict=True)]
                self.rows += len(part)
                yield columns

    def _recheck(self) -> None:
        with self.sessions() as check:
            reason = still_allowed(check, self.plan, self.caller.api_key_id, utcnow())
            if reason is None:
                return
            audit.record(
                check,
                actor=self.caller.audit_actor,
                action="exchange:export",
                entity="dataset",
                entity_id=self.plan.dataset.name,
                outcome="denied",
                detail={"grant": self.plan.grant_id, "reason": reason, "rows_sent": self.rows},
            )
            check.commit()
        raise ExportStopped(reason)

    def _audit_start(self, db: Session) -> None:
        self._audit_subjects(db)
        audit.record(
            db,
            actor=self.caller.audit_actor,
            action="exchange:export",
            entity="dataset",
            entity_id=self.plan.dataset.name,
            purpose=self.plan.purpose,
            detail={
                "agency": self.plan.agency,
                "grant": self.plan.grant_id,
                "fields": self.plan.fields,
                "divisions": [d.code for d in self.plan.divisions],
                "format": self.fmt,
                "day": self.day.isoformat(),
            },
        )

    def _audit_subjects(self, db: Session) -> None:
        # One entry per person (or case) the export is about, so that each sees it in their
        # access log; a few per export in practice (the day's arrivals, the open cases).
        dataset = self.plan.dataset
        if dataset.subject is None:
            return
        entity, action = dataset.subject
        for division in self.plan.divisions:
            query = datasets.subjects(dataset, division, self.day)
            if query is None:
                continue
            for subject_id in db.scalars(query):
                audit.record(
                    db,
                    actor=self.caller.audit_actor,
                    action=action,
                    entity=entity,
                    entity_id=subject_id,
                    # The access log shows role and purpose, not the actor: name the agency.
                    purpose=f"{self.plan.agency}: {self.plan.purpose}",
                    detail={"agency": self.plan.agency, "dataset": dataset.name},
                )

    def _log(self, status: int, note: str, duration_ms: int) -> None:
        stats.log(
            self.sessions,
            stats.Logged(
                agency=self.plan.agency,
                dataset=self.plan.dataset.name,
                kind="export",
                format=self.fmt,
                grant_id=self.plan.grant_id,
                api_key_id=self.caller.api_key_id,
                user_id=self.caller.principal.user_id if self.caller.principal else None,
                status=status,
                rows=self.rows,
                bytes=self.bytes,
                duration_ms=duration_ms,
                note=note,
            ),
        )
