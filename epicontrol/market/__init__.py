"""Mask market monitoring: complaints and price reports, flagged sellers, inspection cases."""
