"""Grid-worker tasks (door-to-door visits, follow-up calls, deliveries) and surveys."""
