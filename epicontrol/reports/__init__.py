"""Residents' self-checks, daily health reports, fever triage and public reports (tip-offs)."""
