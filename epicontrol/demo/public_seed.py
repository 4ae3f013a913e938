"""The demo's public services: articles, clinic hours, the provincial and national feed, published
case itineraries, mask rounds and an agency's data grants, each by its own domain's `seed_demo`."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session


def seed_public_services(engine: Engine, *, secret: str, seed: int = 2020) -> None:
    """Seed them in one transaction, after the city, its logins and its cases are stored; then
    a few staff reads of the demo resident's record (their access log) and the audit chain."""
    from epicontrol.approvals import demo as approvals_demo
    from epicontrol.enterprises import demo as enterprises_demo
    from epicontrol.exchange import demo as exchange_demo
    from epicontrol.labour import demo as labour_demo
    from epicontrol.market import demo as market_demo
    from epicontrol.portal import article_seed, clinics_demo, feed_demo, itineraries_demo
    from epicontrol.supplies import demo as supplies_demo

    with Session(engine) as db:
        article_seed.seed_demo(db)  # written by the demo's commander
        clinics_demo.seed_demo(db, seed=seed)
        feed_demo.seed_demo(db, seed=seed)
        itineraries_demo.seed_demo(db, seed=seed)  # from the opened cases' investigations
        supplies_demo.seed_demo(db, seed=seed)
        enterprises_demo.seed_demo(db, seed=seed)  # resumption phases and companies
        exchange_demo.seed_demo(db, seed=seed)  # an agency's grants and request statistics
        approvals_demo.seed_demo(db, secret=secret, seed=seed)  # catalogue, applications
        labour_demo.seed_demo(db, seed=seed)  # needs, offers of work, applications
        market_demo.seed_demo(db, seed=seed)  # sellers, reports, a gouger, an inspection
        db.commit()
    with Session(engine) as db:
        from epicontrol.core import audit_seal

        audit_seal.seed_demo(db, secret=secret)  # last: seals every entry written before it
