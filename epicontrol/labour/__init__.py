"""Labour matching: essential manufacturers' needs, residents' applications, fill rates."""
