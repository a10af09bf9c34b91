"""The questionnaire studio's pages, under /questionnaires/, for questionnaire admins only.

Thin views: `_version()` does the access check for every page (403 for anyone without the
questionnaire admin role), writes go through `studio` services, and every edit form posts one
item and comes back to the version page (or is shown again with its errors, nothing saved).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.forms.utils import ErrorDict
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.timesince import timesince
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessor import bank
from assessor.records.validators import POINTS_RANGE
from assessor.studio import impact, search, selectors, version_diff, wording
from assessor.studio import services as studio
from assessor.studio.forms import (
    ConditionForm,
    DimensionForm,
    FollowUpForm,
    PublishForm,
    QuestionForm,
    RuleForm,
    SectionForm,
    ThresholdsForm,
    WeightTableForm,
)
from assessor.teams import access
from assessor.web.decorators import private

if TYPE_CHECKING:  # annotations only: the views read rows through selectors
    from assessor.models import Questionnaire

T = "assessor/studio/"


def _editor(request) -> None:
    if not access.bank_editor(request.user):
        raise PermissionDenied("The questionnaire studio is for questionnaire admins.")


def _version(request, version: str):
    _editor(request)
    return selectors.questionnaire_get(version)


def _page(questionnaire: Questionnaire, anchor: str = "") -> str:
    url = reverse("studio_version", args=[questionnaire.version])
    return f"{url}#{anchor}" if anchor else url


def _read_only(request, questionnaire: Questionnaire):
    return render(request, T + "read_only.html", {"q": questionnaire}, status=409)


def _when(moment) -> str:
    return dateformat.format(timezone.localtime(moment), "j M Y, H:i T")


def _stale_message(error: studio.StaleDraft, *, kept: bool = True) -> str:
    """Who saved the draft since the page was opened, when, and what they changed."""
    saves = [
        f"{save.by or 'someone'} at {_when(save.at)} ({timesince(save.at)} ago)"
        for save in error.saves
    ]
    who = "; ".join(saves) or ", ".join(error.by) or "someone"
    changed = "; ".join(error.changes[:20]) or "no item (only the draft's revision)"
    if len(error.changes) > 20:
        changed += f"; and {len(error.changes) - 20} more (see the changes page)"
    after = (
        "Your input is kept in this form; the rest of the page shows their version. Check it, "
        "then save again if yours still applies."
        if kept
        else "The page now shows their version; check it, then try again if it still applies."
    )
    return f"Not saved: saved since you opened the page by {who}. They changed: {changed}. {after}"


def _save(request, draft, form, change) -> int | None:
    """Save a valid form's change through draft_edit; the HTTP status of a refusal, or None."""
    if not form.is_valid():
        return 400
    try:
        studio.draft_edit(
            draft=draft,
            revision=form.cleaned_data["revision"],
            change=change(),
            user=request.user,
        )
    except studio.StaleDraft as error:
        form.add_error(None, _stale_message(error))
        _refresh_revision(form, error.revision)
        return 409
    except bank.BankError as error:
        for problem in error.problems:
            form.add_error(None, f"Not saved: {problem}")
        return 400
    except studio.NotADraft as error:
        form.add_error(None, str(error))
        return 409
    return None


def _refresh_revision(form, revision: int) -> None:
    """Let a stale form be saved again deliberately, over the newer revision."""
    form.data = form.data.copy()
    form.data[form.add_prefix("revision")] = str(revision)


# --- versions ------------------------------------------------------------------------------


@require_GET
@private
def versions(request):
    _editor(request)
    return render(
        request,
        T + "versions.html",
        {
            "versions": selectors.questionnaire_list(),
            "current": selectors.questionnaire_current(),
        },
    )


@require_POST
def draft_new(request):
    _editor(request)
    current = selectors.questionnaire_current()
    if current is None:
        messages.error(request, "No version is published yet, so there is nothing to start from.")
        return redirect("studio_versions")
    draft = studio.draft_start(source=current)
    messages.success(request, f"Started draft {draft.version} from version {current.version}.")
    return redirect(_page(draft))


# --- one version -----------------------------------------------------------------------------


def _tree(q: Questionnaire, bound: dict) -> list[dict]:
    """Sections -> questions -> choices, each with its form on a draft (or the bound one)."""
    doc, draft = q.document, q.status == selectors.DRAFT
    rev = {"revision": q.revision}

    def form(kind, key, cls, initial, **kwargs):
        prefix = f"{kind}-{key}"
        if not draft:
            return None
        return bound.get(prefix) or cls(initial={**rev, **initial}, prefix=prefix, **kwargs)

    sections = []
    for number, s in enumerate(doc["sections"], start=1):
        questions = []
        for question in s["questions"]:
            initial = {
                "text": question["text"],
                "help_text": question["help"],
                "control": question["control"],
                "scope": question.get("scope", False),
                "optional": question.get("optional", False),
            }
            choices = [{"data": c} for c in question["choices"]]
            questions.append(
                {
                    "data": question,
                    "form": form(
                        "question", question["key"], QuestionForm, initial, core=question["core"]
                    ),
                    "show_if": wording.condition_words(question["show_if"], doc)
                    if question["show_if"]
                    else "",
                    "choices": choices,
                }
            )
        initial = {"title": s["title"], "intro": s["intro"]}
        sections.append(
            {
                "data": s,
                "number": number,  # the bank's own, kept when a search hides sections
                "form": form("section", s["key"], SectionForm, initial),
                "questions": questions,
            }
        )
    return sections


def _version_context(q: Questionnaire, bound: dict | None = None, query: str = "") -> dict:
    """The version page: the whole bank, or only what matches `query` (the `?q=` search)."""
    bound = bound or {}
    doc, draft = q.document, q.status == selectors.DRAFT
    dims = [
        {
            "data": d,
            "form": (
                bound.get(f"dimension-{d['key']}")
                or DimensionForm(
                    initial={"revision": q.revision, "label": d["label"], "weight": d["weight"]},
                    prefix=f"dimension-{d['key']}",
                )
            )
            if draft
            else None,
        }
        for d in doc["dimensions"]
    ]
    thresholds = bound.get("thresholds") or ThresholdsForm(
        initial={"revision": q.revision, **doc["thresholds"]}, prefix="thresholds"
    )
    items = {
        "sections": _tree(q, bound),
        "dimensions": dims,
        "rules": [{"data": r, "sentence": wording.rule_sentence(r, doc)} for r in doc["rules"]],
        "conditions": [
            {"data": c, "words": wording.condition_words(c["when"], doc)}
            for c in doc["ownership_conditions"]
        ],
    }
    found = search.bank_search(query, **items) if query else None
    if found is not None:
        items.update(
            sections=found.sections,
            dimensions=found.dimensions,
            rules=found.rules,
            conditions=found.conditions,
        )
    return {
        "q": q,
        "is_draft": draft,
        **items,
        "question_count": sum(len(s["questions"]) for s in items["sections"]),
        "thresholds_form": thresholds if draft else None,
        "frameworks": doc["frameworks"],
        "query": query,
        "found": found,
    }


@require_GET
@private
def version_page(request, version):
    q = _version(request, version)
    query = search.search_query(request.GET.get("q"))
    return render(request, T + "version.html", _version_context(q, query=query))


def _item_post(request, q, prefix, form, edit, row):
    """The common end of a per-item save: `edit` (a studio service) builds the change from the
    valid form; back to the page, or the page with the errors."""
    if q.status != selectors.DRAFT:
        return _read_only(request, q)
    status = _save(request, q, form, lambda: edit(row, form.cleaned_data))
    if status is None:
        messages.success(request, "Saved. The whole questionnaire still validates.")
        return redirect(_page(q, prefix))
    q.refresh_from_db()
    return render(request, T + "version.html", _version_context(q, {prefix: form}), status=status)


@require_POST
def section_save(request, version, key):
    q = _version(request, version)
    row = selectors.section_get(q, key)
    form = SectionForm(request.POST, prefix=f"section-{key}")
    return _item_post(request, q, f"section-{key}", form, studio.section_edit, row)


@require_POST
def question_save(request, version, key):
    q = _version(request, version)
    row = selectors.question_get(q, key)
    form = QuestionForm(request.POST, prefix=f"question-{key}", core=row.core)
    return _item_post(request, q, f"question-{key}", form, studio.question_edit, row)


@require_POST
def dimension_save(request, version, key):
    q = _version(request, version)
    row = selectors.dimension_get(q, key)
    form = DimensionForm(request.POST, prefix=f"dimension-{key}")
    return _item_post(request, q, f"dimension-{key}", form, studio.dimension_edit, row)


@require_POST
def thresholds_save(request, version):
    q = _version(request, version)
    form = ThresholdsForm(request.POST, prefix="thresholds")
    return _item_post(request, q, "thresholds", form, studio.thresholds_edit, q)


# --- weights table -----------------------------------------------------------------------------


def _question_of(q: Questionnaire, key: str) -> dict:
    question = wording.questions_of(q.document).get(key)
    if question is None:
        raise Http404("No such question in this version.")
    return question


def _weights_form(request, q, question):
    data = request.POST if request.method == "POST" else None
    return WeightTableForm(
        data,
        initial={"revision": q.revision},
        question=question,
        dimensions=q.document["dimensions"],
    )


def _preview(q, form, question) -> tuple[list, list[str]]:
    """The examples under the table's weights, or the whole-bank problems that refuse them."""
    try:
        after = studio.document_with_table(q, question["key"], form.choice_labels(), form.weights())
    except bank.BankError as error:
        return [], error.problems
    return studio.examples_preview(q.document, after), []


@require_http_methods(["GET", "POST"])
@private
def weights(request, version, key):
    q = _version(request, version)
    question = _question_of(q, key)
    if request.method == "POST" and q.status != selectors.DRAFT:
        return _read_only(request, q)
    form = _weights_form(request, q, question)
    context = {
        "q": q,
        "question": question,
        "form": form,
        "is_draft": q.status == "draft",
        "points_range": POINTS_RANGE,
    }
    status = 200
    if request.method == "POST" and request.POST.get("action") == "preview":
        if form.is_valid():
            context["preview"], problems = _preview(q, form, question)
            for problem in problems:
                form.add_error(None, problem)
        status = 200 if form.is_valid() else 400
    elif request.method == "POST":
        row = selectors.question_get(q, key)
        status = _save(
            request, q, form, lambda: studio.table_set(row, form.choice_labels(), _cells(form))
        )
        if status is None:
            messages.success(request, f"Saved the choices and points of “{key}”.")
            return redirect(_page(q, f"question-{key}"))
    else:
        context["preview"] = studio.examples_preview(q.document, q.document)
    return render(request, T + "weights.html", context, status=status)


def _cells(form) -> dict:
    return {cell: form.cleaned_data.get(name) for name, cell in form.cells.items()}


@require_POST
def weights_preview(request, version, key):
    """JSON for the table's live preview: the examples' scores before and after, or errors."""
    q = _version(request, version)
    question = _question_of(q, key)
    form = _weights_form(request, q, question)
    if not form.is_valid():
        errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
        return JsonResponse({"errors": errors}, status=400)
    rows, problems = _preview(q, form, question)
    if problems:
        return JsonResponse({"errors": {"__all__": problems}}, status=400)
    return JsonResponse(
        {
            "examples": [
                {
                    "name": r.name,
                    "score_before": r.score_before,
                    "score_after": r.score_after,
                    "verdict_before": r.verdict_before,
                    "verdict_after": r.verdict_after,
                }
                for r in rows
            ]
        }
    )


# --- rules and conditions (the builder) -----------------------------------------------------------


def _questions(q: Questionnaire, before: str | None = None) -> list[dict]:
    listed = []
    for question in wording.questions_of(q.document).values():
        if question["key"] == before:
            break
        listed.append(question)
    return listed


def _builder(request, q, form_class, *, condition, initial, before=None, **kwargs):
    """The builder form: bound to a save, or redrawn (no errors) to show a question's choices."""
    questions = _questions(q, before)
    if request.method != "POST":
        return form_class(
            initial={"revision": q.revision, **initial},
            questions=questions,
            condition=condition,
            **kwargs,
        )
    form = form_class(request.POST, questions=questions, condition=condition, **kwargs)
    if request.POST.get("action") in ("refresh", "add"):
        form._errors = ErrorDict()  # only redrawn with the picked questions' choices: not checked
    return form


def _builder_done(request, q, form, change, template, context, anchor):
    if request.method == "POST" and q.status != selectors.DRAFT:
        return _read_only(request, q)
    status = 200
    if request.method == "POST" and request.POST.get("action") not in ("refresh", "add"):
        status = _save(request, q, form, change)
        if status is None:
            messages.success(request, "Saved. The whole questionnaire still validates.")
            return redirect(_page(q, anchor))
    return render(request, T + template, {"q": q, "form": form, **context}, status=status)


@require_http_methods(["GET", "POST"])
@private
def rule_edit(request, version, key=None):
    q = _version(request, version)
    rule = selectors.rule_get(q, key) if key else None
    data = next((r for r in q.document["rules"] if r["id"] == key), None)
    initial = {}
    if rule is not None:
        initial = {
            "key": rule.key,
            "kind": rule.kind,
            "cap": rule.cap,
            "reason": rule.reason,
            "frameworks": selectors.frameworks_get(data["frameworks"]),
        }
    form = _builder(
        request,
        q,
        RuleForm,
        condition=data["when"] if data else None,
        initial=initial,
        draft=q,
        rule=rule,
    )

    def change():
        values = {**form.cleaned_data, "frameworks": form.cleaned_data["frameworks"]}
        return studio.rule_set(q, rule, values)

    context = {
        "rule": data,
        "sentence": wording.rule_sentence(data, q.document) if data else "",
    }
    return _builder_done(request, q, form, change, "rule.html", context, "rules")


@require_POST
def rule_delete(request, version, key):
    q = _version(request, version)
    if q.status != selectors.DRAFT:
        return _read_only(request, q)
    rule = selectors.rule_get(q, key)
    try:
        revision = int(request.POST.get("revision", ""))
        studio.draft_edit(
            draft=q, revision=revision, change=studio.rule_delete(rule), user=request.user
        )
    except ValueError:
        messages.error(request, "Not deleted: the form was incomplete; reload the page.")
    except studio.StaleDraft as error:
        messages.error(request, _stale_message(error, kept=False))
    except bank.BankError as error:
        messages.error(request, "Not deleted: " + " ".join(error.problems))
    else:
        messages.success(request, f"Deleted rule {key}.")
    return redirect(_page(q, "rules"))


@require_http_methods(["GET", "POST"])
@private
def condition_edit(request, version, key):
    q = _version(request, version)
    row = selectors.condition_get(q, key)
    form = _builder(
        request,
        q,
        ConditionForm,
        condition=row.condition,
        initial={"title": row.title, "reason": row.reason},
    )

    def change():
        data = form.cleaned_data
        return studio.fields_set(
            row, title=data["title"], reason=data["reason"], condition=data["condition"]
        )

    context = {"item": row, "words": wording.condition_words(row.condition, q.document)}
    return _builder_done(request, q, form, change, "condition.html", context, "conditions")


@require_http_methods(["GET", "POST"])
@private
def follow_up_edit(request, version, key):
    q = _version(request, version)
    row = selectors.question_get(q, key)
    form = _builder(request, q, FollowUpForm, condition=row.show_if, initial={}, before=key)

    def change():
        return studio.fields_set(row, show_if=form.cleaned_data["condition"])

    context = {
        "item": row,
        "words": wording.condition_words(row.show_if, q.document) if row.show_if else "",
    }
    return _builder_done(request, q, form, change, "follow_up.html", context, f"question-{key}")


# --- changes and publishing -------------------------------------------------------------------


@require_GET
@private
def changes(request, version):
    q = _version(request, version)
    current = selectors.questionnaire_current()
    found = (
        version_diff.differences(current.document, q.document)
        if current is not None and current.pk != q.pk
        else []
    )
    return render(request, T + "changes.html", {"q": q, "current": current, "changes": found})


def _publish_post(request, q: Questionnaire, form: PublishForm):
    """Publish, request publication or approve the request, as the pressed button says; the
    redirect on success, else None with the refusal on the form."""
    try:
        if "approve" in request.POST:
            published = studio.draft_publish_approve(draft=q, user=request.user)
        elif form.is_valid():
            fields = {"name": form.cleaned_data["name"].strip(), "note": form.cleaned_data["note"]}
            if "request" in request.POST:
                studio.draft_publish_request(draft=q, user=request.user, **fields)
                messages.success(
                    request,
                    f"Publication of {fields['name']} requested: another questionnaire admin "
                    "approves it.",
                )
                return redirect("studio_publish", q.version)
            published = studio.draft_publish(draft=q, user=request.user, **fields)
        else:
            return None
    except ValueError as error:
        form.add_error("note" if "release note" in str(error) else "name", str(error))
        return None
    except (studio.NotADraft, studio.ReviewRequired, bank.BankError) as error:
        form.add_error(None, " ".join(getattr(error, "problems", [str(error)])))
        return None
    messages.success(request, f"Published {published.version}: new assessments use it from now on.")
    return redirect("studio_versions")


@require_http_methods(["GET", "POST"])
@private
def publish(request, version):
    q = _version(request, version)
    if q.status != selectors.DRAFT:
        return _read_only(request, q)
    form = PublishForm(request.POST or None)
    if request.method == "POST":
        done = _publish_post(request, q, form)
        if done is not None:
            return done
        if not form.errors:
            form.add_error(None, "Nothing was published.")
    current = selectors.questionnaire_current()
    found = impact.impact_preview(q, readable=access.teams_for(request.user, access.VIEW))
    admins = studio.bank_admin_count()
    context = {
        "q": q,
        "form": form,
        "current": current,
        "impact": found,
        # four eyes where verdicts change and a second questionnaire admin exists
        "needs_review": found.changed > 0 and admins > 1,
        "alone": found.changed > 0 and admins <= 1,
        "requested_by_me": q.publish_requested_by_id == request.user.pk,
        "changes_count": len(version_diff.differences(current.document, q.document))
        if current
        else 0,
    }
    return render(request, T + "publish.html", context, status=400 if form.errors else 200)
