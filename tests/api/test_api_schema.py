"""The OpenAPI schema and its docs page, and Schemathesis against the live schema: no 500, and
every response matches the schema."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.test import Client

from assessor.api.serializers import ResultSerializer
from assessor.records import selectors
from assessor.review import services as review
from tests.builders import LOWER_TRUST, SAFEST, api_client, make_assessment, make_token, make_user

pytestmark = pytest.mark.django_db
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
# Per API operation; with the examples and coverage phases this keeps the run to a minute or
# two on the reference machine (two cores, shared).
MAX_EXAMPLES = 15


def test_the_schema_is_served_to_a_token_and_to_a_signed_in_person(owner, owner_client):
    for response in (api_client(owner).get("/api/v1/schema/"), owner_client.get("/api/v1/schema/")):
        assert response.status_code == 200
        schema = yaml.safe_load(response.content)
        assert schema["openapi"].startswith("3.")
        assert "/api/v1/assessments/{id}/answers/{step}/" in schema["paths"]
        assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert Client().get("/api/v1/schema/").status_code == 401


def test_the_schema_documents_the_result_with_its_autonomy_scales(owner_client):
    schema = yaml.safe_load(owner_client.get("/api/v1/schema/").content)
    ok = schema["paths"]["/api/v1/assessments/{id}/result/"]["get"]["responses"]["200"]
    ref = ok["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    result = schema["components"]["schemas"][ref]
    assert {"verdict", "rules_fired", "next_level", "frameworks"} <= set(result["properties"])
    scales = result["properties"]["autonomy_scales"]
    assert scales["type"] == "array"
    item = schema["components"]["schemas"][scales["items"]["$ref"].rsplit("/", 1)[-1]]
    assert set(item["required"]) == {"scale", "scale_name", "level", "level_name", "reason"}


def test_the_schema_documents_the_labels_and_the_approval_of_a_record(owner_client):
    schema = yaml.safe_load(owner_client.get("/api/v1/schema/").content)
    schemas = schema["components"]["schemas"]
    for name in ("Assessment", "AssessmentList"):
        properties = schemas[name]["properties"]
        added = {"verdict_label", "status_label", "approved_by", "approved_at", "review_by"}
        added |= {"review_state"}
        assert added | {"is_example"} <= set(properties), name
        assert properties["approved_at"]["format"] == "date-time"
        assert properties["review_by"]["format"] == "date"
        assert properties["approved_by"]["nullable"] and properties["review_by"]["nullable"]
        assert properties["review_state"]["nullable"]
    states = schemas["ReviewStateEnum"]["enum"]
    assert states == ["current", "due", "overdue", "lapsed", "superseded"]
    listing = schema["paths"]["/api/v1/assessments/"]["get"]["parameters"]
    assert {"examples", "review"} <= {parameter["name"] for parameter in listing}


def test_the_docs_page_loads_swagger_ui_from_the_app_with_no_inline_script_or_style(
    owner_client,
):
    response = owner_client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<style" not in html and " style=" not in html
    scripts = [part.split(">")[0] for part in html.split("<script")[1:]]
    assert len(scripts) == 3 and all(" src=" in attributes for attributes in scripts)
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "http://" not in html and "https://" not in html  # nothing from a CDN
    assert "script-src 'self'" in response["Content-Security-Policy"]
    init = owner_client.get("/api/v1/docs/?script=")
    assert init.status_code == 200 and init["Content-Type"].startswith("application/javascript")
    assert "/api/v1/schema/" in init.content.decode()


def test_the_docs_page_asks_for_sign_in(db):
    response = Client().get("/api/v1/docs/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.fixture
def seeded(live_server, questionnaire, settings):
    """Records in every state for a reviewer-approver's token, and one of another team."""
    settings.ASSESSOR_API_RATE = "100000/min"  # the run is not about rate limits
    person = make_user("fuzzer", roles=("reviewer", "approver"))
    submitter = make_user("submitter", roles=("reviewer",))
    make_assessment(person, answers=SAFEST, name="Draft, complete")
    make_assessment(person, answers={"task_type": "provisioning"}, name="=Draft, half")
    submitted = make_assessment(submitter, answers=LOWER_TRUST, name="Submitted")
    review.assessment_submit(assessment=submitted, user=submitter)
    make_assessment(make_user("other", team="Team B"), answers=SAFEST, name="Other team")
    return make_token(person, name="schemathesis")


def test_schemathesis_finds_no_server_error_and_no_response_off_the_schema(
    live_server, seeded, tmp_path
):
    run = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"{live_server.url}/api/v1/schema/",
            "--header",
            f"Authorization: Bearer {seeded}",
            "--checks",
            "not_a_server_error,response_schema_conformance,content_type_conformance",
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--workers",
            "1",
            "--seed",
            "15",
            "--request-timeout",
            "30",
            "--suppress-health-check",
            "all",
        ],
        cwd=tmp_path,  # its example database and reports stay out of the repository
        env={**os.environ, "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = run.stdout + run.stderr
    Path(os.environ.get("SCHEMATHESIS_LOG", os.devnull)).write_text(output)
    assert run.returncode == 0, output[-6000:]
    assert "No issues found" in output or " passed" in output, output[-3000:]


def test_the_result_schema_documents_every_field_the_result_carries(owner, questionnaire):
    schema = yaml.safe_load(api_client(owner).get("/api/v1/schema/").content)
    result = schema["components"]["schemas"]["Result"]
    for name in ("floors_applied", "control_gaps", "optional_unanswered"):
        assert result["properties"][name]["description"], name
    assert "floor" in schema["components"]["schemas"]["FiredFloor"]["properties"]
    path = schema["paths"]["/api/v1/assessments/{id}/result/"]["get"]
    assert path["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Result"
    }
    # the documented fields are exactly the ones served
    served = selectors.assessment_result_json(make_assessment(owner, answers=SAFEST))
    assert set(ResultSerializer().fields) == set(served)
