"""Agency data exchange: grants, API keys, streamed exports, list matching, statistics."""
