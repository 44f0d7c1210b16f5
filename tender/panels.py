"""Dashboard panels and the next-deadline bar (filled in below)."""
