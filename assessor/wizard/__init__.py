"""The wizard: a new assessment and its steps, their forms, and the cached HTML of each step's
fields."""
