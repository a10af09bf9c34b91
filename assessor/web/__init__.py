"""What every page shares: the error pages (503 while the database is away) and the views'
common decorators."""
