"""Demo data of the tender (filled in below)."""
