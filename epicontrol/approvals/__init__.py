"""Non-meeting approvals: a catalogue of items, configurable workflows, delivery of results."""
