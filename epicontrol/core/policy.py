"""Roles and what each may do: the one policy table that the code and the tests both read."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """Staff and resident roles of DESIGN.md; the anonymous public has no role."""

    RESIDENT = "resident"
    CHECKPOINT_OPERATOR = "checkpoint_operator"
    GRID_WORKER = "grid_worker"
    COMMUNITY_OFFICER = "community_officer"
    COMMANDER = "commander"
    EPIDEMIOLOGIST = "epidemiologist"
    CLINIC_STAFF = "clinic_staff"
    AGENCY_LIAISON = "agency_liaison"
    ENTERPRISE = "enterprise"  # a company's representative: resumption, labour needs
    MARKET_INSPECTOR = "market_inspector"  # market regulator: mask prices and quality
    ADMIN = "admin"


class Permission(StrEnum):
    """Actions guarded by the policy; routes name one of these."""

    RESIDENT_READ = "resident:read"  # a resident's record with masked personal fields
    RESIDENT_LIST = "resident:list"  # residents of a division, for staff
    RESIDENT_READ_IDENTITY = "resident:read_identity"  # decrypted ID number, name, phone
    RESIDENT_WRITE = "resident:write"
    RESIDENT_IMPORT = "resident:import"
    DIVISION_READ = "division:read"
    PLACE_READ = "place:read"
    PLACE_WRITE = "place:write"
    DEVICE_ADMIN = "device:admin"  # register checkpoint devices
    CHECKPOINT_OPERATE = "checkpoint:operate"  # scan passes from the checkpoint page
    MOVEMENT_READ = "movement:read"  # entries, exits, arrivals of a division
    MOVEMENT_EXPORT = "movement:export"  # closed days to Parquet, retention purge
    RISK_AREA_MANAGE = "risk_area:manage"
    PASS_MANAGE = "pass:manage"  # reissue or revoke someone's pass
    AUDIT_READ = "audit:read"
    USER_ADMIN = "user:admin"
    CASE_READ = "case:read"  # cases of a division, their tracing runs and transmission chains
    CASE_WRITE = "case:write"  # report a case, change its status, record isolation
    TRACING_RUN = "tracing:run"  # start a tracing run by hand
    CONTACT_READ = "contact:read"  # contacts living in one's division, with their exposures
    CONTACT_WRITE = "contact:write"  # daily follow-up of contacts, their quarantine
    CLINIC_REGISTER = "clinic:register"  # fever-clinic registrations and their test results
    CLINIC_READ = "clinic:read"  # fever-clinic registrations of a division
    LINKAGE_REVIEW = "linkage:review"  # run record linkage, decide uncertain pairs
    REPORT_SUBMIT = "report:submit"  # a resident's own self-check and daily health report
    MONITORING_READ = "monitoring:read"  # people under daily observation and their reports
    MONITORING_MANAGE = "monitoring:manage"  # close observation, turn non-reporters into tasks
    TIP_TRIAGE = "tip:triage"  # the queue of public reports (whistleblowing) and their outcomes
    TASK_READ = "task:read"  # grid-worker tasks of a division
    TASK_WORK = "task:work"  # take, complete or reassign a grid-worker task
    RISK_STATUS_READ = "risk:read"  # someone's risk status with the records behind it
    RISK_APPEAL = "risk:appeal"  # a resident appeals their own status
    RISK_REVIEW = "risk:review"  # decide appeals, correct a status
    DASHBOARD_READ = "dashboard:read"  # the command dashboard and daily briefing of a division
    SURVEY_MANAGE = "survey:manage"  # define a survey, send it to grids or estates, close it
    SURVEY_RESPOND = "survey:respond"  # fill in a survey sent to one's grid, estate or self
    SURVEY_READ = "survey:read"  # a survey's results aggregated by division
    ESTATE_READ = "estate:read"  # housing estates with their households' health status
    ESTATE_REGISTER = "estate:register"  # register an estate's households (health registration)
    FEED_IMPORT = "feed:import"  # import provincial and national figures for the public portal
    ARTICLE_WRITE = "article:write"  # draft releases, rumor rebuttals and basic facts
    ARTICLE_PUBLISH = "article:publish"  # review and publish (or withdraw) someone else's draft
    ITINERARY_DRAFT = "itinerary:draft"  # turn a case investigation into an anonymised itinerary
    ITINERARY_APPROVE = "itinerary:approve"  # approve an itinerary for publication, or withdraw it
    CONSULT_BOOK = "consult:book"  # a resident books a free online consultation
    CONSULT_MANAGE = "consult:manage"  # clinic staff see and handle consultation bookings
    MASK_ORDER = "mask:order"  # a resident reserves masks for their household
    MASK_MANAGE = "mask:manage"  # open a supply round, run its lottery
    MASK_DISPENSE = "mask:dispense"  # hand out reserved masks at a pharmacy against a pickup code
    GRANT_REQUEST = "grant:request"  # an agency asks for a dataset (fields, scope, purpose, expiry)
    GRANT_DECIDE = "grant:decide"  # grant, refuse or revoke an agency's request
    EXCHANGE_EXPORT = "exchange:export"  # export a granted dataset, match a list against it
    EXCHANGE_STATS = "exchange:stats"  # requests, rows and bytes by agency and dataset
    AUDIT_VERIFY = "audit:verify"  # check the audit log's hash chain
    RETENTION_PURGE = "retention:purge"  # purge personal records past their retention window
    ACCESS_LOG_OWN = "access_log:own"  # a resident sees who accessed their record and why
    ENTERPRISE_APPLY = "enterprise:apply"  # a company applies to resume work, lists employees
    ENTERPRISE_REVIEW = "enterprise:review"  # approve resumption in phases, check employees
    LABOUR_POST = "labour:post"  # an essential manufacturer posts its labour needs
    LABOUR_APPLY = "labour:apply"  # a resident applies for a posted job
    LABOUR_MATCH = "labour:match"  # match applicants to needs, follow fill rates
    MARKET_REPORT = "market:report"  # a complaint or price report about a seller
    MARKET_INSPECT = "market:inspect"  # flagged sellers and inspection cases
    APPROVAL_APPLY = "approval:apply"  # apply for an administrative approval online
    APPROVAL_REVIEW = "approval:review"  # review steps and decisions of approvals
    APPROVAL_CATALOGUE = "approval:catalogue"  # define approval items and their workflows


_STAFF_READERS = {
    Role.GRID_WORKER,
    Role.COMMUNITY_OFFICER,
    Role.COMMANDER,
    Role.EPIDEMIOLOGIST,
    Role.ADMIN,
}

# Who may do what. Scope (which division subtree, or only oneself) is checked separately.
POLICY: dict[Permission, frozenset[Role]] = {
    Permission.RESIDENT_READ: frozenset(_STAFF_READERS | {Role.RESIDENT}),
    Permission.RESIDENT_LIST: frozenset(_STAFF_READERS),
    Permission.RESIDENT_READ_IDENTITY: frozenset(
        {Role.COMMUNITY_OFFICER, Role.EPIDEMIOLOGIST, Role.ADMIN, Role.RESIDENT}
    ),
    Permission.RESIDENT_WRITE: frozenset({Role.COMMUNITY_OFFICER, Role.ADMIN}),
    Permission.RESIDENT_IMPORT: frozenset({Role.ADMIN}),
    Permission.DIVISION_READ: frozenset(set(Role) - {Role.AGENCY_LIAISON}),
    Permission.PLACE_READ: frozenset(set(Role)),
    Permission.PLACE_WRITE: frozenset({Role.COMMUNITY_OFFICER, Role.ADMIN}),
    Permission.DEVICE_ADMIN: frozenset({Role.COMMUNITY_OFFICER, Role.ADMIN}),
    Permission.CHECKPOINT_OPERATE: frozenset(
        {Role.CHECKPOINT_OPERATOR, Role.COMMUNITY_OFFICER, Role.ADMIN}
    ),
    Permission.MOVEMENT_READ: frozenset(_STAFF_READERS),
    Permission.MOVEMENT_EXPORT: frozenset({Role.EPIDEMIOLOGIST, Role.ADMIN}),
    Permission.RISK_AREA_MANAGE: frozenset({Role.COMMANDER, Role.ADMIN}),
    Permission.PASS_MANAGE: frozenset({Role.COMMUNITY_OFFICER, Role.ADMIN}),
    Permission.AUDIT_READ: frozenset({Role.ADMIN}),
    Permission.USER_ADMIN: frozenset({Role.ADMIN}),
    # Clinics report cases and their results; epidemiologists investigate; commanders watch.
    Permission.CASE_READ: frozenset(
        {Role.EPIDEMIOLOGIST, Role.COMMANDER, Role.CLINIC_STAFF, Role.ADMIN}
    ),
    Permission.CASE_WRITE: frozenset({Role.EPIDEMIOLOGIST, Role.CLINIC_STAFF, Role.ADMIN}),
    Permission.TRACING_RUN: frozenset({Role.EPIDEMIOLOGIST, Role.ADMIN}),
    # Community officers and grid workers follow up the contacts who live in their area.
    Permission.CONTACT_READ: frozenset(
        {
            Role.EPIDEMIOLOGIST,
            Role.COMMANDER,
            Role.COMMUNITY_OFFICER,
            Role.GRID_WORKER,
            Role.ADMIN,
        }
    ),
    Permission.CONTACT_WRITE: frozenset(
        {Role.EPIDEMIOLOGIST, Role.COMMUNITY_OFFICER, Role.GRID_WORKER, Role.ADMIN}
    ),
    Permission.CLINIC_REGISTER: frozenset({Role.CLINIC_STAFF, Role.ADMIN}),
    Permission.CLINIC_READ: frozenset({Role.CLINIC_STAFF, Role.EPIDEMIOLOGIST, Role.ADMIN}),
    Permission.LINKAGE_REVIEW: frozenset({Role.EPIDEMIOLOGIST, Role.ADMIN}),
    Permission.REPORT_SUBMIT: frozenset({Role.RESIDENT}),
    Permission.MONITORING_READ: frozenset(
        {
            Role.EPIDEMIOLOGIST,
            Role.COMMANDER,
            Role.COMMUNITY_OFFICER,
            Role.GRID_WORKER,
            Role.ADMIN,
        }
    ),
    Permission.MONITORING_MANAGE: frozenset(
        {Role.EPIDEMIOLOGIST, Role.COMMUNITY_OFFICER, Role.ADMIN}
    ),
    Permission.TIP_TRIAGE: frozenset({Role.COMMUNITY_OFFICER, Role.EPIDEMIOLOGIST, Role.ADMIN}),
    Permission.TASK_READ: frozenset(
        {Role.GRID_WORKER, Role.COMMUNITY_OFFICER, Role.COMMANDER, Role.ADMIN}
    ),
    Permission.TASK_WORK: frozenset({Role.GRID_WORKER, Role.COMMUNITY_OFFICER, Role.ADMIN}),
    # A resident reads only their own status (scope is checked by the route).
    Permission.RISK_STATUS_READ: frozenset(_STAFF_READERS | {Role.RESIDENT}),
    Permission.RISK_APPEAL: frozenset({Role.RESIDENT}),
    Permission.RISK_REVIEW: frozenset({Role.COMMUNITY_OFFICER, Role.EPIDEMIOLOGIST, Role.ADMIN}),
    Permission.DASHBOARD_READ: frozenset(
        {Role.COMMANDER, Role.COMMUNITY_OFFICER, Role.EPIDEMIOLOGIST, Role.ADMIN}
    ),
    Permission.SURVEY_MANAGE: frozenset({Role.COMMUNITY_OFFICER, Role.COMMANDER, Role.ADMIN}),
    Permission.SURVEY_RESPOND: frozenset({Role.GRID_WORKER, Role.RESIDENT}),
    Permission.SURVEY_READ: frozenset(
        {Role.COMMUNITY_OFFICER, Role.COMMANDER, Role.EPIDEMIOLOGIST, Role.ADMIN}
    ),
    Permission.ESTATE_READ: frozenset(_STAFF_READERS),
    Permission.ESTATE_REGISTER: frozenset({Role.GRID_WORKER, Role.COMMUNITY_OFFICER, Role.ADMIN}),
    Permission.FEED_IMPORT: frozenset({Role.COMMANDER, Role.ADMIN}),
    Permission.ARTICLE_WRITE: frozenset(
        {Role.COMMUNITY_OFFICER, Role.EPIDEMIOLOGIST, Role.COMMANDER, Role.ADMIN}
    ),
    Permission.ARTICLE_PUBLISH: frozenset({Role.COMMANDER, Role.ADMIN}),
    Permission.ITINERARY_DRAFT: frozenset({Role.EPIDEMIOLOGIST, Role.ADMIN}),
    Permission.ITINERARY_APPROVE: frozenset({Role.EPIDEMIOLOGIST, Role.COMMANDER, Role.ADMIN}),
    Permission.CONSULT_BOOK: frozenset({Role.RESIDENT}),
    Permission.CONSULT_MANAGE: frozenset({Role.CLINIC_STAFF, Role.ADMIN}),
    Permission.MASK_ORDER: frozenset({Role.RESIDENT}),
    Permission.MASK_MANAGE: frozenset({Role.COMMUNITY_OFFICER, Role.COMMANDER, Role.ADMIN}),
    # Pharmacy counters are staffed like checkpoints: an operator posted at the pharmacy's place.
    Permission.GRANT_REQUEST: frozenset({Role.AGENCY_LIAISON, Role.ADMIN}),
    Permission.GRANT_DECIDE: frozenset({Role.ADMIN, Role.COMMANDER}),
    Permission.EXCHANGE_EXPORT: frozenset({Role.AGENCY_LIAISON, Role.ADMIN}),
    Permission.EXCHANGE_STATS: frozenset({Role.ADMIN, Role.COMMANDER}),
    Permission.AUDIT_VERIFY: frozenset({Role.ADMIN}),
    Permission.RETENTION_PURGE: frozenset({Role.ADMIN}),
    Permission.ACCESS_LOG_OWN: frozenset({Role.RESIDENT}),
    Permission.MASK_DISPENSE: frozenset(
        {Role.CHECKPOINT_OPERATOR, Role.CLINIC_STAFF, Role.COMMUNITY_OFFICER, Role.ADMIN}
    ),
    # Economy and services (issue 9): companies and market inspectors have roles of their own.
    Permission.ENTERPRISE_APPLY: frozenset({Role.ENTERPRISE, Role.ADMIN}),
    Permission.ENTERPRISE_REVIEW: frozenset({Role.COMMANDER, Role.ADMIN}),
    Permission.LABOUR_POST: frozenset({Role.ENTERPRISE, Role.ADMIN}),
    Permission.LABOUR_APPLY: frozenset({Role.RESIDENT}),
    Permission.LABOUR_MATCH: frozenset({Role.COMMUNITY_OFFICER, Role.COMMANDER, Role.ADMIN}),
    Permission.MARKET_REPORT: frozenset({Role.RESIDENT, Role.MARKET_INSPECTOR, Role.ADMIN}),
    Permission.MARKET_INSPECT: frozenset({Role.MARKET_INSPECTOR, Role.ADMIN}),
    Permission.APPROVAL_APPLY: frozenset({Role.RESIDENT, Role.ENTERPRISE}),
    Permission.APPROVAL_REVIEW: frozenset({Role.COMMUNITY_OFFICER, Role.COMMANDER, Role.ADMIN}),
    Permission.APPROVAL_CATALOGUE: frozenset({Role.COMMANDER, Role.ADMIN}),
}


def is_allowed(role: Role, permission: Permission) -> bool:
    """Whether `role` holds `permission` in the policy table."""
    return role in POLICY[permission]
