"""The public portal (公众服务): situation, fever clinics, affected estates, case itineraries,
releases, rumor rebuttal, basic facts, Q&A; zh and en (core/i18n.py)."""
