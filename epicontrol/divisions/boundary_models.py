"""divisions/boundary_models (being built)."""
