"""Demo evaluations (filled in below)."""
