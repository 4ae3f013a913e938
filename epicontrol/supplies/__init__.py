"""Supplies: face-mask reservations within household quotas, lotteries and pharmacy pickup."""
