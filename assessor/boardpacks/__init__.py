"""Board packs: a governance board's PDF for a meeting, built in the background from the
portfolio's figures, DRAFT until an approver of every team in it marks it issued."""
