"""epicontrol: an epidemic prevention-and-control data platform."""

__version__ = "0.1.0"
