"""Shared by the benchmarks and the load generator: the figure lines and the wizard's data.

No Django and no gevent here: both the runner and `bench/loadgen.py` (locust) import it.
"""

import math

import psutil

STEPS = 9  # the shipped questionnaire's sections, one wizard step each
STEP = 5  # "Blast radius": 7 questions (three follow-ups the answers below make visible)
# question key -> (choice, note, evidence link). Every field differs between the two sets, so
# each wizard POST of `wizard_http`, alternating between them, rewrites all seven answers.
ANSWER_SETS = [
    {
        "privilege_scope": ("narrow_high_value", "One OU.", "https://wiki.example.com/scope-a"),
        "grant_capability": ("remove_only", "Disable only.", "https://wiki.example.com/grant-a"),
        "identities_affected": ("tens", "Batches of leavers.", "https://wiki.example.com/ids-a"),
        "batch_limit": ("capped_with_halt", "Cap of 50.", "https://wiki.example.com/batch-a"),
        "reversibility": ("automatic_rollback", "Rollback job.", "https://wiki.example.com/rb-a"),
        "tool_chaining": ("two_systems", "HR then IdP.", "https://wiki.example.com/iam/chain-a"),
        "chain_credentials": ("separate_per_system", "Own token each.", "https://ex.com/cred-a"),
    },
    {
        "privilege_scope": ("moderate", "Two OUs.", "https://wiki.example.com/iam/scope-b"),
        "grant_capability": ("can_grant", "Joiners too.", "https://wiki.example.com/grant-b"),
        "identities_affected": ("hundreds_plus", "Whole OUs.", "https://wiki.example.com/ids-b"),
        "batch_limit": ("capped", "Cap, no halt.", "https://wiki.example.com/batch-b"),
        "reversibility": ("manual_rollback", "Runbook only.", "https://wiki.example.com/rb-b"),
        "tool_chaining": ("identity_ticketing_cloud", "IdP, ITSM, AWS.", "https://ex.com/chain-b"),
        "chain_credentials": ("shared_token", "One token shared.", "https://ex.com/cred-b"),
    },
]


# The ratios issue 22 asks for, as the HTTP benchmarks measure them; `run.py` prints them
# together at the end: name -> (ratio, least).
RATIOS: dict[str, tuple[float, float]] = {}


def ratio(name: str, value: float, least: float) -> bool:
    """A ratio with its target, kept for the closing summary."""
    RATIOS[name] = (value, least)
    return report(name, value, "x", f">= {least:.2f}", value >= least)


def report(name: str, value: float, unit: str, target: str, ok: bool) -> bool:
    """One figure with its target and PASS or FAIL."""
    print(f"{name:<72} {value:>9.3f} {unit:<5} target {target:<14} {'PASS' if ok else 'FAIL'}")
    return ok


def figure(name: str, value: float, unit: str) -> None:
    """A figure without a target, in the same columns."""
    print(f"{name:<72} {value:>9.3f} {unit:<5} (reported, no target)")


def note(text: str) -> None:
    print(f"  {text}")


def p95(values: list[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)] if ordered else 0.0


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes (a worker that has gone counts nothing)."""
    total = 0.0
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total
