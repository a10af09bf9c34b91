"""An issued board pack never changes, whichever way the write arrives."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from assessor.boardpacks import services
from assessor.boardpacks.models import BoardPack, IssuedBoardPack
from assessor.models import Team
from tests.builders import make_boardpack, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(db):
    bob = make_user("bob", team="Team A", roles=("approver",))
    pack = make_boardpack(bob, list(bob.teams.all()))
    BoardPack.objects.filter(pk=pack.pk).update(
        status="issued", issued_by=bob, issued_at=timezone.now()
    )
    pack.refresh_from_db()
    return pack


def test_an_issued_pack_refuses_every_write(issued):
    issued.title = "Changed"
    with pytest.raises(IssuedBoardPack):
        issued.save()
    with pytest.raises(IssuedBoardPack):
        BoardPack.objects.filter(pk=issued.pk).update(title="Changed")
    with pytest.raises(IssuedBoardPack):
        BoardPack.objects.filter(pk=issued.pk).delete()
    with pytest.raises(IssuedBoardPack):
        issued.delete()
    with pytest.raises(IssuedBoardPack):
        BoardPack.objects.bulk_update([issued], ["title"])
    other = Team.objects.create(name="Team Z")
    # the refusal rolls back the caller's transaction, as the bank's framework links do
    with pytest.raises(IssuedBoardPack), transaction.atomic():
        issued.teams.add(other)
    with pytest.raises(IssuedBoardPack), transaction.atomic():
        issued.teams.clear()
    with pytest.raises(IssuedBoardPack), transaction.atomic():
        other.board_packs.add(issued)
    with pytest.raises(IssuedBoardPack):
        services.boardpack_regenerate(pack=issued)
    stored = BoardPack.objects.get(pk=issued.pk)
    assert (stored.title, stored.status, stored.sha256) == ("Q3 board", "issued", issued.sha256)


def test_a_pack_cannot_be_created_issued(db):
    user = get_user_model().objects.create_user("x")
    with pytest.raises(IssuedBoardPack):
        BoardPack.objects.create(
            title="Forged",
            period_start=date(2026, 7, 1),
            period_end=date(2026, 9, 30),
            requested_by=user,
            status="issued",
            issued_at=timezone.now(),
            generation="done",
        )


def test_the_pages_offer_no_change_of_an_issued_pack(issued, client):
    client.force_login(issued.requested_by)
    page = client.get(reverse("boardpack_detail", args=[issued.pk])).content.decode()
    assert "Mark as issued" not in page and "Delete this draft" not in page
    response = client.post(reverse("boardpack_delete", args=[issued.pk]), follow=True)
    assert "is issued and cannot be changed" in response.content.decode()
    assert BoardPack.objects.filter(pk=issued.pk).exists()
