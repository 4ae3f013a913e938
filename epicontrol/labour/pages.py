"""Labour matching pages: residents (zh/en, phone first), employers, the officers' board.

- GET  /labour/jobs                          jobs near me, my offer of work, my applications
- POST /labour/jobs/profile                  save my offer of work (LABOUR_APPLY)
- POST /labour/jobs/{id}/apply               apply for a job
- POST /labour/applications/{id}/confirm     confirm a job the employer accepted me for
- POST /labour/applications/{id}/withdraw    withdraw
- GET  /labour/employer                      post a need; my needs and their candidates
- POST /labour/employer/needs                post a need (LABOUR_POST)
- POST /labour/employer/needs/{id}/close     close a need
- POST /labour/employer/applications/{id}/accept|decline|release
- GET  /labour/board                         needs of my area, fill rates, chart (LABOUR_MATCH)
- GET  /labour/board/needs/{id}              a need's ranked candidates (an htmx fragment)
- POST /labour/board/needs/{id}/propose      propose a candidate (answers the fragment)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from epicontrol.core.auth import Principal
from epicontrol.core.deps import DbSession, Vault, require
from epicontrol.core.errors import AccessDenied, EpicontrolError
from epicontrol.core.policy import Permission
from epicontrol.labour import board, disclosure, matching, service, skills
from epicontrol.labour.schemas import NeedIn, ProfileIn
from epicontrol.web.templating import render

router = APIRouter(include_in_schema=False)
Employer = Annotated[Principal, Depends(require(Permission.LABOUR_POST))]
Matcher = Annotated[Principal, Depends(require(Permission.LABOUR_MATCH))]
Applicant = Annotated[Principal, Depends(require(Permission.LABOUR_APPLY))]
Page = Callable[[str | None, int], Response]


def _vocabularies() -> dict[str, Any]:
    return {
        "SKILLS": skills.SKILLS,
        "SHIFTS": skills.SHIFTS,
        "DAYS": skills.DAYS,
        "label": skills.label,
    }


def _act(db: Session, action: Callable[[], object], page: Page, done: str) -> Response:
    """Run a form's action: commit and go to `done`, or show the page with the refusal."""
    try:
        action()
    except matching.NoLongerGreen as refusal:
        db.commit()  # the drop stays (matching.py)
        return page(refusal.message, refusal.status_code)
    except AccessDenied:
        raise  # audited by the request's session (core.deps.get_db)
    except EpicontrolError as refused:
        db.rollback()
        return page(refused.message, refused.status_code)
    except ValidationError as bad:
        db.rollback()
        return page(
            "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in bad.errors()), 422
        )
    db.commit()
    return RedirectResponse(done, status_code=303)


# -- residents ---------------------------------------------------------------------------------


def _jobs_page(request: Request, db: Session, principal: Principal) -> Page:
    def page(message: str | None, status_code: int = 200) -> Response:
        context = {
            "message": message,
            "profile": service.profile_of(db, principal=principal),
            "jobs": service.jobs_near(db, principal=principal),
            "mine": disclosure.for_resident(db, principal=principal),
            "green": service.is_green(db, principal.resident_id)
            if principal.resident_id
            else False,
            **_vocabularies(),
        }
        return render(request, "labour_jobs.html", context, status_code=status_code)

    return page


@router.get("/labour/jobs")
def jobs_page(request: Request, db: DbSession, principal: Applicant) -> Response:
    """Jobs near my home, my offer of work and my applications."""
    return _jobs_page(request, db, principal)(None, 200)


@router.post("/labour/jobs/profile")
def save_profile(
    request: Request,
    db: DbSession,
    principal: Applicant,
    max_distance_km: Annotated[float, Form()],
    skill: Annotated[list[str], Form()] = [],  # noqa: B006  (FastAPI copies defaults)
    shift: Annotated[list[str], Form()] = [],  # noqa: B006
    day: Annotated[list[str], Form()] = [],  # noqa: B006
) -> Response:
    """Save my offer of work."""

    def action() -> None:
        data = ProfileIn(skills=skill, shifts=shift, days=day, max_distance_km=max_distance_km)
        service.save_profile(db, principal=principal, data=data)

    return _act(db, action, _jobs_page(request, db, principal), "/labour/jobs#jobs")


@router.post("/labour/jobs/{need_id}/apply")
def apply(request: Request, db: DbSession, principal: Applicant, need_id: int) -> Response:
    """Apply for a job."""
    page = _jobs_page(request, db, principal)
    return _act(
        db, lambda: service.apply(db, principal=principal, need_id=need_id), page,
        "/labour/jobs#my-applications",
    )  # fmt: skip


@router.post("/labour/applications/{application_id}/confirm")
def confirm(request: Request, db: DbSession, principal: Applicant, application_id: int) -> Response:
    """Confirm a job the employer accepted me for."""
    page = _jobs_page(request, db, principal)
    return _act(
        db, lambda: matching.confirm(db, principal=principal, application_id=application_id),
        page, f"/labour/jobs#application-{application_id}",
    )  # fmt: skip


@router.post("/labour/applications/{application_id}/withdraw")
def withdraw(
    request: Request, db: DbSession, principal: Applicant, application_id: int
) -> Response:
    """Withdraw an application."""
    page = _jobs_page(request, db, principal)
    return _act(
        db, lambda: matching.withdraw(db, principal=principal, application_id=application_id),
        page, f"/labour/jobs#application-{application_id}",
    )  # fmt: skip


# -- employers ---------------------------------------------------------------------------------


def _employer_page(request: Request, db: Session, principal: Principal, vault: Any) -> Page:
    def page(message: str | None, status_code: int = 200) -> Response:
        needs = service.needs_in_scope(db, principal=principal)
        context = {
            "message": message,
            "needs": service.describe(db, needs),
            "candidates": {
                need.id: disclosure.for_employer(
                    db, principal=principal, need_id=need.id, vault=vault
                )
                for need in needs
            },
            "divisions": board.divisions_for(db, principal=principal),
            **_vocabularies(),
        }
        return render(request, "labour_employer.html", context, status_code=status_code)

    return page


@router.get("/labour/employer")
def employer_page(request: Request, db: DbSession, principal: Employer, vault: Vault) -> Response:
    """Post a need; my needs with their candidates."""
    return _employer_page(request, db, principal, vault)(None, 200)


@router.post("/labour/employer/needs")
def post_need(
    request: Request,
    db: DbSession,
    principal: Employer,
    vault: Vault,
    division_id: Annotated[int, Form()],
    title: Annotated[str, Form(max_length=200)],
    positions: Annotated[int, Form()],
    shift: Annotated[str, Form(max_length=16)],
    start_date: Annotated[date, Form()],
    pay_yuan_per_day: Annotated[int, Form()],
    employer_name: Annotated[str, Form(max_length=200)] = "",
    place_name: Annotated[str, Form(max_length=300)] = "",
    skill: Annotated[list[str], Form()] = [],  # noqa: B006
    day: Annotated[list[str], Form()] = [],  # noqa: B006
) -> Response:
    """Post a need from the form."""

    def action() -> None:
        data = NeedIn(
            division_id=division_id, employer_name=employer_name, title=title, skills=skill,
            positions=positions, place_name=place_name, shift=shift, days=day,
            start_date=start_date, pay_yuan_per_day=pay_yuan_per_day,
        )  # fmt: skip
        service.post_need(db, principal=principal, data=data)

    page = _employer_page(request, db, principal, vault)
    return _act(db, action, page, "/labour/employer#needs")


@router.post("/labour/employer/needs/{need_id}/close")
def close_need(
    request: Request, db: DbSession, principal: Employer, vault: Vault, need_id: int
) -> Response:
    """Close a need."""
    page = _employer_page(request, db, principal, vault)
    return _act(
        db, lambda: service.close_need(db, principal=principal, need_id=need_id), page,
        f"/labour/employer#need-{need_id}",
    )  # fmt: skip


@router.post("/labour/employer/applications/{application_id}/{decision}")
def decide(
    request: Request,
    db: DbSession,
    principal: Employer,
    vault: Vault,
    application_id: int,
    decision: str,
) -> Response:
    """Accept or decline a proposed candidate, or release a hire no longer green."""
    page = _employer_page(request, db, principal, vault)
    actions: dict[str, Callable[[], object]] = {
        "accept": lambda: matching.decide(
            db, principal=principal, application_id=application_id, accept=True
        ),
        "decline": lambda: matching.decide(
            db, principal=principal, application_id=application_id, accept=False
        ),
        "release": lambda: matching.release(db, principal=principal, application_id=application_id),
    }
    action = actions.get(decision)
    if action is None:
        return page(f"unknown decision '{decision}': accept, decline or release", 404)
    return _act(db, action, page, "/labour/employer#needs")


# -- officers ----------------------------------------------------------------------------------


@router.get("/labour/board")
def board_page(request: Request, db: DbSession, principal: Matcher) -> Response:
    """Needs of my area with their fill rates, the chart, and the candidates of one need."""
    return render(request, "labour_board.html", board.board_context(db, principal=principal))


def _candidates(
    request: Request, db: Session, principal: Principal, need_id: int, message: str | None
) -> Response:
    context = {
        "need": service.describe(
            db, [service.need_for(db, principal=principal, need_id=need_id, action="labour:match")]
        )[0],
        "candidates": matching.rank(db, principal=principal, need_id=need_id),
        "message": message,
        **_vocabularies(),
    }
    return render(request, "labour_candidates.html", context)


@router.get("/labour/board/needs/{need_id}")
def candidates_fragment(
    request: Request, db: DbSession, principal: Matcher, need_id: int
) -> Response:
    """A need's ranked candidates, for the board's panel (htmx)."""
    return _candidates(request, db, principal, need_id, None)


@router.post("/labour/board/needs/{need_id}/propose")
def propose(
    request: Request,
    db: DbSession,
    principal: Matcher,
    need_id: int,
    resident_id: Annotated[int, Form()],
) -> Response:
    """Propose a candidate; answers the refreshed panel (with the refusal, if any)."""
    message, status_code = None, 200
    try:
        matching.propose(db, principal=principal, need_id=need_id, resident_id=resident_id)
        db.commit()
    except AccessDenied:
        raise
    except EpicontrolError as refused:
        db.rollback()
        message, status_code = refused.message, refused.status_code
    answer = _candidates(request, db, principal, need_id, message)
    # htmx swaps only 2xx answers: the panel then shows the refusal; other callers get the 4xx.
    if request.headers.get("HX-Request") != "true":
        answer.status_code = status_code
    return answer
