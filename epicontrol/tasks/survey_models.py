"""tasks/survey_models (being built)."""
