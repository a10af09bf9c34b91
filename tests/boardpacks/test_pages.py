"""The board pack pages: who reads, builds and issues which pack, the form's errors, the
progress JSON and the download."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from assessor.boardpacks.models import BoardPack
from assessor.models import Team
from assessor.teams.membership import member_add
from tests.builders import make_boardpack, make_user

pytestmark = pytest.mark.django_db

PAGES = ("boardpack_detail", "boardpack_status", "boardpack_download")
ACTIONS = ("boardpack_issue", "boardpack_regenerate", "boardpack_delete")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def mixed(db):
    """Carol approves in Team A and audits in Team B; Dan approves in both."""
    carol = make_user("carol", team="Team A", roles=("approver",))
    make_user("dan", team="Team A", roles=("approver",))
    for username, role in (("carol", "auditor"), ("dan", "approver")):
        member_add(team_name="Team B", username=username, role=role)
    return carol


def teams(*names):
    return list(Team.objects.filter(name__in=names))


def form(title="Q3 board", start="2026-07-01", end="2026-09-30", team_ids=()):
    return {"title": title, "period_start": start, "period_end": end, "teams": list(team_ids)}


def test_another_teams_pack_is_404_everywhere_and_unlisted(mixed):
    outsider = make_user("olga", team="Team C", roles=("approver", "auditor", "manager"))
    pack = make_boardpack(mixed, teams("Team A"), title="Team A's secret pack")
    client = signed_in(outsider)
    for name in PAGES:
        assert client.get(reverse(name, args=[pack.pk])).status_code == 404, name
    for name in ACTIONS:
        assert client.post(reverse(name, args=[pack.pk])).status_code == 404, name
    assert "Team A&#x27;s secret pack" not in client.get(reverse("boardpack_list")).content.decode()
    assert BoardPack.objects.filter(pk=pack.pk, status="draft").exists()


def test_a_pack_spanning_teams_needs_read_on_all_of_them(mixed):
    only_a = make_user("erin", team="Team A", roles=("auditor",))
    pack = make_boardpack(mixed, teams("Team A", "Team B"))
    assert signed_in(only_a).get(reverse("boardpack_detail", args=[pack.pk])).status_code == 404
    assert signed_in(mixed).get(reverse("boardpack_detail", args=[pack.pk])).status_code == 200


def test_a_reviewer_only_cannot_build_a_pack(db):
    reviewer = make_user("rita", team="Team A", roles=("reviewer",))
    client = signed_in(reviewer)
    page = client.get(reverse("boardpack_list"))
    assert page.status_code == 200 and 'name="title"' not in page.content.decode()
    team = Team.objects.get(name="Team A")
    assert client.post(reverse("boardpack_list"), form(team_ids=[team.pk])).status_code == 403
    assert not BoardPack.objects.exists()


def test_issuing_needs_an_approver_of_every_team(mixed, django_capture_on_commit_callbacks):
    pack = make_boardpack(mixed, teams("Team A", "Team B"))
    response = signed_in(mixed).post(reverse("boardpack_issue", args=[pack.pk]), follow=True)
    assert "not an approver in every team of this pack" in response.content.decode()
    assert "Mark as issued" not in response.content.decode()
    pack.refresh_from_db()
    assert pack.issued_at is None
    dan = get_user_model().objects.get(username="dan")
    page = signed_in(dan).get(reverse("boardpack_detail", args=[pack.pk]))
    assert "Mark as issued" in page.content.decode()
    signed_in(dan).post(reverse("boardpack_issue", args=[pack.pk]))
    pack.refresh_from_db()
    assert pack.issued_by == dan and pack.generation == "queued"


def test_one_person_builds_a_pack_of_the_teams_they_read(mixed):
    response = signed_in(mixed).post(
        reverse("boardpack_list"), form(team_ids=[t.pk for t in teams("Team A", "Team B")])
    )
    pack = BoardPack.objects.get()
    assert response.status_code == 302
    assert {t.name for t in pack.teams.all()} == {"Team A", "Team B"}
    assert (pack.period_start, pack.period_end) == (date(2026, 7, 1), date(2026, 9, 30))


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"start": "2026-09-30", "end": "2026-07-01"}, "period_end", "ends before it starts"),
        ({"start": "2026-13-01"}, "period_start", "Enter a valid date"),
        ({"title": ""}, "title", "This field is required"),
        ({"title": "Q3\x00board"}, "title", ""),
        ({"team_ids": []}, "teams", "This field is required"),
        ({"team_ids": ["x"]}, "teams", "is not a team"),
    ],
)
def test_bad_input_is_a_form_error_and_nothing_is_saved(mixed, data, field, message):
    team = Team.objects.get(name="Team A")
    values = {"team_ids": [team.pk], **data}
    response = signed_in(mixed).post(reverse("boardpack_list"), form(**values))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field])
    assert not BoardPack.objects.exists()


def test_a_team_the_person_cannot_read_is_an_error_not_dropped(mixed):
    hidden = make_user("hank", team="Team C", roles=("approver",)).teams.get()
    mine = Team.objects.get(name="Team A")
    response = signed_in(mixed).post(reverse("boardpack_list"), form(team_ids=[mine.pk, hidden.pk]))
    assert response.status_code == 400
    assert f"You may not read team {hidden.pk}" in " ".join(
        response.context["form"].errors["teams"]
    )
    assert not BoardPack.objects.exists()


def test_the_form_offers_last_full_quarter_and_the_readers_teams(mixed):
    make_user("hank", team="Team C", roles=("approver",))
    page = signed_in(mixed).get(reverse("boardpack_list")).content.decode()
    assert "Team A" in page and "Team B" in page and "Team C" not in page
    form_ = signed_in(mixed).get(reverse("boardpack_list")).context["form"]
    start, end = form_["period_start"].value(), form_["period_end"].value()
    assert start.day == 1 and start.month in (1, 4, 7, 10) and (end - start).days in range(89, 92)
    # as a date input reads them (a browser shows any other format as empty)
    assert f'value="{start.isoformat()}"' in page and f'value="{end.isoformat()}"' in page


def test_the_status_json_reports_progress_and_the_page_a_progress_bar(mixed):
    pack = make_boardpack(mixed, teams("Team A"), generation="running", progress=40)
    BoardPack.objects.filter(pk=pack.pk).update(step="Brief 3 of 7: Secret rotation")
    state = signed_in(mixed).get(reverse("boardpack_status", args=[pack.pk])).json()
    assert state["generation"] == "running" and state["progress"] == 40
    assert state["step"] == "Brief 3 of 7: Secret rotation"
    page = signed_in(mixed).get(reverse("boardpack_detail", args=[pack.pk])).content.decode()
    assert '<progress id="progress-bar"' in page and 'value="40"' in page
    assert 'aria-live="polite"' in page and 'http-equiv="refresh"' in page  # the noscript refresh
    assert "js/boardpack" in page


def test_the_list_shows_status_period_teams_and_fingerprint(mixed):
    pack = make_boardpack(mixed, teams("Team A", "Team B"), title="Q3 board")
    page = signed_in(mixed).get(reverse("boardpack_list")).content.decode()
    assert "Q3 board" in page and pack.sha256 in page and "Team A, Team B" in page
    assert "1 Jul 2026 to 30 Sep 2026" in page and "Draft" in page


def test_a_file_changed_in_storage_is_not_served(mixed):
    pack = make_boardpack(mixed, teams("Team A"))
    with pack.pdf.storage.open(pack.pdf.name, "wb") as stored:
        stored.write(b"%PDF-1.4 tampered")
    response = signed_in(mixed).get(reverse("boardpack_download", args=[pack.pk]))
    assert response.status_code == 503 and b"does not match its fingerprint" in response.content


def test_a_draft_can_be_deleted_with_its_file(mixed, django_capture_on_commit_callbacks):
    pack = make_boardpack(mixed, teams("Team A"))
    storage, name = pack.pdf.storage, pack.pdf.name
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(mixed).post(reverse("boardpack_delete", args=[pack.pk]))
    assert response.status_code == 302 and not BoardPack.objects.exists()
    assert not storage.exists(name)
