"""Shared helpers for the benchmarks: one line per figure, with its target and PASS/FAIL."""


def report(name: str, value: float, unit: str, target: str, ok: bool) -> bool:
    print(f"{name:<72} {value:>9.3f} {unit:<5} target {target:<14} {'PASS' if ok else 'FAIL'}")
    return ok


def note(text: str) -> None:
    print(f"  {text}")
