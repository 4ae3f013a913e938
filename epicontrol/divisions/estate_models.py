"""divisions/estate_models (being built)."""
