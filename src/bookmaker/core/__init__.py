"""What every stage shares: diagnostics, limits, text, ids, the user cache, atomic output."""
