"""The agent register: the AI agents a team runs, the non-human identities each acts as, and
the workflows (assessments) each agent runs with their current verdicts."""
