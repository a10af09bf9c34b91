"""The portfolio: what a board reads across many workflows (issue 26). `figures` (the plain
data), `selectors` (`portfolio_figures`, `portfolio_teams`), `charts` (SVG), `gaps` (what holds
an approved record back, read from the engine's plan at approval), the page and its API."""
