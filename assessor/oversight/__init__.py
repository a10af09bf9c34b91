"""Continuous oversight: an approval's review cycle (current, due, overdue, lapsed) and the
re-reviews that end it. The register and the reminders build on it."""
