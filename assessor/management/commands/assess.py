import json

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from assessor import bank, engine
from assessor.management.input import bank_document, read_text
from assessor.models import Questionnaire
from assessor.records import selectors
from assessor.records.validators import JsonRefused, json_loads


class Command(BaseCommand):
    help = (
        'Score one workflow from JSON ({"name": ..., "answers": {question_key: choice_key}}) '
        "read from FILE, or from standard input with -, and print the result as JSON. "
        "Bad input (an unknown key, a choice of another question, a follow-up answered without "
        "the parent answer that asks it, a missing core answer) exits with status 2 and names "
        "every bad key."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="JSON file, or - for standard input")
        parser.add_argument(
            "--bank",
            dest="bank_path",
            help="score against this bank file instead of the published questionnaire",
        )

    def handle(self, *args, file, bank_path=None, **options):
        payload = self._read(file)
        document = self._document(bank_path)
        model = bank.build_model(document)
        answers = payload["answers"]
        problems = engine.check_answers(model, answers)
        # A refinement answered under a parent answer that does not ask it: a reader of the
        # input would take it to count, and the engine would silently ignore it.
        problems += engine.check_visibility(model, selectors.answers_known(model, answers))
        problems += [f"missing answer: {key}" for key in model.core_keys if key not in answers]
        if problems:
            raise CommandError(
                "the answers cannot be scored:\n  " + "\n  ".join(problems), returncode=2
            )
        result = engine.evaluate(model, answers)
        output = selectors.result_json(
            name=payload.get("name", ""), questionnaire_version=document["version"], result=result
        )
        self.stdout.write(json.dumps(output, indent=2, ensure_ascii=False))

    def _read(self, file):
        text = read_text(file)
        try:
            payload = json_loads(text)
        except JsonRefused as exc:
            raise CommandError(f"malformed JSON: {exc}", returncode=2) from exc
        if not isinstance(payload, dict):
            raise CommandError("malformed input: the top level must be a JSON object", returncode=2)
        if not isinstance(payload.get("answers"), dict):
            raise CommandError(
                'malformed input: "answers" must be an object of question_key: choice_key',
                returncode=2,
            )
        if "name" in payload and not isinstance(payload["name"], str):
            raise CommandError('malformed input: "name" must be a string', returncode=2)
        return payload

    def _document(self, path):
        if path:
            return bank_document(path)
        try:
            questionnaire = Questionnaire.current()
        except DatabaseError:
            questionnaire = None  # no database yet: the shipped bank is still a valid model
        if questionnaire is not None:
            return questionnaire.document
        self.stderr.write("No published questionnaire in the database; using the shipped bank.")
        return bank.load_bank_file()
