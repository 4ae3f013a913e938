"""Enterprise resumption of work: applications, phased approval, employee checks, whitelist."""
