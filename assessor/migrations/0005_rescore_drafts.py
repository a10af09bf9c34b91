"""Drafts pinned to questionnaire 2026.1 are now bound by the four conditions for ownership and
count shown, unanswered follow-ups at their riskiest: bring their stored summary (what the
dashboard filters and sorts on) in line with the verdict their report now shows. Submitted and
approved records keep the verdict they were signed with."""

from django.db import migrations


def rescore_drafts(apps, schema_editor):
    from assessor import bank
    from assessor import engine

    Assessment = apps.get_model("assessor", "Assessment")
    Answer = apps.get_model("assessor", "Answer")
    models = {}
    for assessment in Assessment.objects.filter(status="draft").select_related("questionnaire"):
        questionnaire = assessment.questionnaire
        if questionnaire.pk not in models:
            models[questionnaire.pk] = bank.build_model(questionnaire.document)
        model = models[questionnaire.pk]
        choices = dict(
            Answer.objects.filter(assessment=assessment).values_list("question_key", "choice_key")
        )
        known = {
            key: choice
            for key, choice in choices.items()
            if key in model.question_map and choice in model.question_map[key].choice_map
        }
        result = engine.evaluate(model, known)
        total = len(model.core_keys)
        # A queryset update: the draft's content did not change, so neither does its history.
        Assessment.objects.filter(pk=assessment.pk).update(
            verdict=result.verdict if result.complete else "",
            score=result.score if result.complete else None,
            answered_core=total - len(result.missing),
            total_core=total,
        )


class Migration(migrations.Migration):
    dependencies = [("assessor", "0004_one_published_questionnaire")]

    operations = [migrations.RunPython(rescore_drafts, migrations.RunPython.noop)]
