"""Record linkage of clinic, medical and inspection records to residents (Splink)."""
