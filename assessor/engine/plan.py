"""The path to the next level: the smallest set of control changes that lifts a complete
assessment one verdict up, and the order the report lists them in.
"""

from __future__ import annotations

from collections.abc import Mapping

from assessor.engine.model import VERDICT_RANK, VERDICTS, Change, Question, Result, ScoringModel
from assessor.engine.ranges import _filled
from assessor.engine.score import (
    _dimension_scores,
    _outcome,
    _overall,
    _Totals,
    _totals,
    scored_answers,
)


class _Planner:
    """The smallest set of control changes that lifts a complete assessment to `target`.

    1. Feasibility: set every control question (every question not marked scope, follow-ups
       included) to its safest choice. If even that does not reach the target, the scope of
       the workflow stands in the way: no plan, and the scope questions that block are named.
    2. Build: a forward search clears the blocking rules one change at a time, then adds the
       largest score gains; where the all-safest plan is small, trimming it (in two orders) is
       tried as well. Each candidate is minimised: every change that is not needed is dropped
       (least useful first), then each remaining one is moved back as near to the reviewer's
       answer as still reaches the target, never onto a choice a rule calls a weakness. The
       plan with fewer changes wins, then the one that clears more rules.

    Every candidate is checked with the full engine (visibility, assumed follow-ups, rules,
    conditions and score), so a plan always reaches the level it names.
    """

    def __init__(self, model, given, scored, outcome, target):
        self.model = model
        self.given = given
        self.scored = scored
        self.outcome = outcome
        self.target = target
        self.rank = VERDICT_RANK[target]
        self.capping = [r for r in model.binding_rules if VERDICT_RANK[r.cap] < self.rank]
        self.capping_ids = frozenset(r.id for r in self.capping)
        self._seen: dict[tuple, bool] = {}
        self._anchor: tuple | None = None

    def reaches(self, plan: Mapping[str, str]) -> bool:
        key = tuple(sorted(plan.items()))
        if key not in self._seen:
            changed = self._one_change_from_anchor(plan)
            if changed is None:
                self._seen[key] = self._reaches({**self.given, **plan})
            else:
                self._seen[key] = self._reaches_by_one(plan, changed)
        return self._seen[key]

    def _reaches(self, answers: Mapping[str, str]) -> bool:
        """The full engine's verdict reaches the target; the rules first, as they are cheaper."""
        scored, _ = scored_answers(self.model, answers)
        if any(rule.when.matches(scored) for rule in self.capping):
            return False
        score = _overall(self.model, _dimension_scores(self.model, _totals(self.model, scored)))
        return VERDICT_RANK[self.model.lifted(self.model.score_verdict(score), scored)] >= self.rank

    # Trimming a plan tries it with one change dropped or moved, many times over. When that one
    # question shows or hides no follow-up, the rest of the answers count exactly as in the
    # plan being trimmed (the anchor), so only its rules and its points need looking at again.

    def anchor(self, plan: Mapping[str, str]) -> None:
        scored, _ = scored_answers(self.model, {**self.given, **plan})
        firing = {rule.id for rule in self.capping if rule.when.matches(scored)}
        self._anchor = (dict(plan), scored, _totals(self.model, scored), firing)

    def _one_change_from_anchor(self, plan: Mapping[str, str]) -> str | None:
        if self._anchor is None:
            return None
        anchored = self._anchor[0]
        changed = [k for k in plan.keys() | anchored.keys() if plan.get(k) != anchored.get(k)]
        if len(changed) != 1 or changed[0] in self.model.parent_keys:
            return None
        return changed[0]

    def _reaches_by_one(self, plan: Mapping[str, str], key: str) -> bool:
        _, scored, totals, firing = self._anchor
        question = self.model.question_map[key]
        if key not in scored:  # not counted in the anchor: let the full engine decide
            return self._reaches({**self.given, **plan})
        choice = plan.get(key, self.given.get(key))
        if choice is None:  # a shown follow-up left unanswered counts at its riskiest
            if question.core or question.optional or not self.model.follow_ups_assumed_riskiest:
                return self._reaches({**self.given, **plan})
            choice = question.riskiest.key
        related = {r.id for r in self.model.rules_by_question.get(key, ())}
        if firing - related:
            return False
        trial = {**scored, key: choice}
        for rule in self.model.rules_by_question.get(key, ()):
            if rule.id in self.capping_ids and rule.when.matches(trial):
                return False
        rows = self.model.weight_rows[key]
        points = list(totals.points)
        for index, value, _, _ in rows[scored[key]]:
            points[index] -= value
        for index, value, _, _ in rows[choice]:
            points[index] += value
        moved = _Totals(points, totals.low, totals.high)
        score = _overall(self.model, _dimension_scores(self.model, moved))
        return VERDICT_RANK[self.model.lifted(self.model.score_verdict(score), trial)] >= self.rank

    def plan(self) -> tuple[tuple[Change, ...], tuple[str, ...]]:
        model = self.model
        controls = frozenset(q.key for q in model.questions if not q.scope)
        best = _filled(
            model,
            {k: v for k, v in self.scored.items() if k not in controls},
            lambda q: q.safest,
            keys=controls,
        )
        everything = {k: v for k, v in best.items() if self.scored.get(k) != v}
        if not self.reaches(everything):
            return (), self._blocked_by(best)
        candidates = []
        forward = self._forward(everything)
        if forward is not None:
            candidates.append(self._minimise(forward, self._drop_orders(forward)[0]))
        # Dropping from the all-safest plan finds plans the forward search misses; it costs a
        # full check per change, so it runs where the plan to trim is small.
        if forward is None or len(everything) <= self.TRIM_LIMIT:
            candidates += [self._minimise(everything, o) for o in self._drop_orders(everything)]
        chosen = min(candidates, key=lambda p: (len(p), -len(self._cleared(p)), sorted(p.items())))
        return self._changes(chosen), ()

    TRIM_LIMIT = 8

    def _forward(self, everything: Mapping[str, str]) -> dict[str, str] | None:
        """A plan built up cheaply in two passes: clear the blocking rules, then add the
        largest score gains. Checked with the full engine; None if it falls short."""
        cleared = self._clear_rules(everything)
        if cleared is None:
            return None
        plan, current = cleared
        return self._add_score_gains(everything, plan, current)

    def _clear_rules(self, everything: Mapping[str, str]) -> tuple[dict, dict] | None:
        """Clear the blocking rules one change at a time (each step the change that leaves
        fewest of them firing, nearest safer choice first): (plan, answers with the plan), or
        None if a rule cannot be cleared this way. Rules only: no score, no engine."""
        model = self.model
        plan: dict[str, str] = {}
        current = dict(self.scored)
        firing = {rule.id for rule in self.capping if rule.when.matches(current)}
        while firing:
            best = None
            for key in everything:
                question = model.question_map[key]
                related = [
                    r for r in model.rules_by_question.get(key, ()) if r.id in self.capping_ids
                ]
                before = sum(r.id in firing for r in related)
                if not before:
                    continue
                position = question.choice_keys.index(current.get(key, question.riskiest.key))
                for distance, option in enumerate(reversed(question.choices[:position]), 1):
                    trial = {**current, key: option.key}
                    after = sum(r.when.matches(trial) for r in related)
                    if after < before and (best is None or (after - before, distance) < best[0]):
                        best = ((after - before, distance), key, option.key)
            if best is None:
                return None
            _, key, choice = best
            plan[key] = current[key] = choice
            firing = {rule.id for rule in self.capping if rule.when.matches(current)}
        return plan, current

    def _add_score_gains(
        self, everything: Mapping[str, str], plan: dict[str, str], current: dict[str, str]
    ) -> dict[str, str] | None:
        """Add the largest score gains to a plan that fires no blocking rule, until the full
        engine says it reaches the target; None if the plan still falls short."""
        model = self.model
        totals = _totals(model, current)
        # The score is linear in the points while the answered questions stay the same, so
        # the gains add up; the full engine is asked only once the sum comes near the
        # threshold (with room for a follow-up that a change shows or hides).
        score = _overall(model, _dimension_scores(model, totals)) or 0.0
        needed = model.thresholds[self.target] - self.SCORE_MARGIN
        if (score >= needed or self._floored({**current, **plan})) and self.reaches(plan):
            return plan
        gains = _gain_per_point(model, totals)
        options = []
        for key in everything:
            question = model.question_map[key]
            old = current.get(key, question.riskiest.key)
            gain = _gain(question, old, everything[key], gains)
            if gain > 0:
                # Moving a question already in the plan further costs no extra change.
                options.append((key not in plan, -gain, key))
        for _, less, key in sorted(options):
            plan[key] = everything[key]
            score -= less
            if (score >= needed or self._floored({**current, **plan})) and self.reaches(plan):
                return plan
        # The sum of gains fell short; the full engine has the last word all the same.
        return plan if score < needed and self.reaches(plan) else None

    SCORE_MARGIN = 5.0

    def _floored(self, answers: Mapping[str, str]) -> bool:
        """A floor alone lifts these answers to the target, whatever their score."""
        return VERDICT_RANK[self.model.lifted(VERDICTS[0], answers)] >= self.rank

    def _drop_orders(self, plan: Mapping[str, str]) -> list[list[str]]:
        """Least useful first: score-only changes by smallest gain, then rule-clearing ones."""
        blocking = {
            k
            for rule in self.outcome.fired
            if VERDICT_RANK[rule.cap] < self.rank
            for k in rule.when.questions()
        }
        position = {q.key: i for i, q in enumerate(self.model.questions)}
        by_use = sorted(plan, key=lambda k: (k in blocking, self._gain(k, plan[k]), position[k]))
        return [by_use, sorted(plan, key=position.__getitem__, reverse=True)]

    def _gain(self, key: str, choice: str) -> float:
        question = self.model.question_map[key]
        old = question.choice_map[self.scored.get(key, question.riskiest.key)].weights
        new = question.choice_map[choice].weights
        return sum(new.get(d, 0.0) - old.get(d, 0.0) for d in question.dimension_bounds)

    def _minimise(self, plan: Mapping[str, str], order: list[str]) -> dict[str, str]:
        plan = dict(plan)
        self.anchor(plan)
        for key in order:
            trial = {k: v for k, v in plan.items() if k != key}
            if self.reaches(trial):
                plan = trial
                self.anchor(plan)
        # Ask no more of each control than the target needs: nearest safer choice first, but
        # never one that a rule of the bank itself counts as a weakness.
        for key in list(plan):
            question = self.model.question_map[key]
            related = self.model.rules_by_question.get(key, ())
            start = question.choice_keys.index(self.scored.get(key, question.riskiest.key))
            end = question.choice_keys.index(plan[key])
            for position in range(start - 1, end, -1):
                trial = {**plan, key: question.choices[position].key}
                weak = {**self.scored, **trial}
                if not any(r.when.matches(weak) for r in related) and self.reaches(trial):
                    plan = trial
                    self.anchor(plan)
                    break
        return plan

    def _cleared(self, plan: Mapping[str, str]) -> set[str]:
        after, _ = scored_answers(self.model, {**self.given, **plan})
        return {rule.id for rule in self.outcome.fired if not rule.when.matches(after)}

    def _blocked_by(self, best: Mapping[str, str]) -> tuple[str, ...]:
        """The scope answers that keep even the all-safest controls below the target."""
        model = self.model
        scored, _ = scored_answers(model, best)
        outcome = _outcome(model, scored)
        keys: set[str] = set()
        for rule in outcome.fired:
            if VERDICT_RANK[rule.cap] < self.rank:
                keys.update(rule.when.questions() & model.scope_keys)
        not_safest = {
            k
            for k in model.scope_keys
            if k in scored and scored[k] != model.question_map[k].safest.key
        }
        if VERDICT_RANK[outcome.lifted] < self.rank:
            keys.update(not_safest)
        keys = keys or not_safest
        return tuple(q.key for q in model.questions if q.key in keys)

    def _changes(self, plan: Mapping[str, str]) -> tuple[Change, ...]:
        model = self.model
        cleared = self._cleared(plan)
        labels = {dim.key: dim.label for dim in model.dimensions}
        changes = []
        for question in model.questions:
            key = question.key
            if key not in plan:
                continue
            old, new = self.scored.get(key, question.riskiest.key), plan[key]
            dimension = _main_dimension(question, old, new)
            changes.append(
                Change(
                    question=key,
                    question_text=question.text,
                    from_choice=old,
                    from_label=question.choice_map[old].label,
                    to_choice=new,
                    to_label=question.choice_map[new].label,
                    rules_cleared=tuple(
                        rule.id
                        for rule in model.binding_rules
                        if rule.id in cleared and key in rule.when.questions()
                    ),
                    dimension=dimension,
                    dimension_label=labels.get(dimension, dimension),
                    control=question.control,
                    assumed=key not in self.given,
                )
            )
        return tuple(changes)


def changes_by_effect(model: ScoringModel, result: Result) -> tuple[Change, ...]:
    """The plan's changes, most decisive first: those that clear rules before those that only
    add points, the most rules cleared first, then the largest score gain; ties keep the bank's
    order. Presentation only: `result.next_level` keeps the bank's order for the API."""
    scored, _ = scored_answers(model, result.answers)
    per_point = _gain_per_point(model, _totals(model, scored))

    def gain(change: Change) -> float:
        question = model.question_map[change.question]
        return _gain(question, change.from_choice, change.to_choice, per_point)

    return tuple(sorted(result.next_level, key=lambda c: (-len(c.rules_cleared), -gain(c))))


def _gain_per_point(model: ScoringModel, totals: _Totals) -> dict[str, float]:
    """How much the overall score moves per point on each dimension, the answered questions
    held as they are (the score is linear in the points while that set stays the same)."""
    spans = {
        dim.key: totals.high[index] - totals.low[index]
        for index, dim in enumerate(model.dimensions)
        if dim.weight > 0
    }
    total_weight = sum(dim.weight for dim in model.dimensions if spans.get(dim.key, 0) > 0)
    if total_weight == 0:
        return {}
    return {
        dim.key: 100.0 * dim.weight / spans[dim.key] / total_weight
        for dim in model.dimensions
        if spans.get(dim.key, 0) > 0
    }


def _gain(question: Question, old: str, new: str, per_point: Mapping[str, float]) -> float:
    old_w, new_w = question.choice_map[old].weights, question.choice_map[new].weights
    return sum(
        (new_w.get(dim, 0.0) - old_w.get(dim, 0.0)) * per_point.get(dim, 0.0)
        for dim in question.dimension_bounds
    )


def _main_dimension(question: Question, old: str, new: str) -> str:
    old_w, new_w = question.choice_map[old].weights, question.choice_map[new].weights
    deltas = {dim: new_w.get(dim, 0.0) - old_w.get(dim, 0.0) for dim in question.dimension_bounds}
    return max(deltas, key=deltas.__getitem__) if deltas else ""
