"""Shared pieces for the agenda tests: the council's people, a settable clock, a service and a Turn."""
from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from bot.render import Renderer
from bot.settings import ROOT
from bot.turn import Conversation, Turn, User
from services.agenda import Actor, AgendaService, ItemFields, load_councils
from services.agenda.models import AgendaItem

KNOWLEDGE = ROOT / "knowledge"
COUNCIL = "nordjylland"
SEC = Actor("a0000000-0000-4000-8000-000000000001", "Sara Sekretær")
CHAIR = Actor("a0000000-0000-4000-8000-000000000002", "Frede Forperson")
KKR = Actor("a0000000-0000-4000-8000-000000000003", "Karen KKR")
REGION = Actor("a0000000-0000-4000-8000-000000000004", "Rasmus Region")
NT = Actor("a0000000-0000-4000-8000-000000000005", "Niels NT")
DSB = Actor("a0000000-0000-4000-8000-000000000006", "Dorte DSB")
OUTSIDER = Actor("f0000000-0000-4000-8000-0000000000ff", "Olga Offentlig")
PEOPLE = {"submitter": KKR, "member": REGION, "responsible": NT, "secretariat": SEC, "chairperson": CHAIR,
          "public": OUTSIDER}
RENDERER = Renderer(KNOWLEDGE / "responses")


class Clock:
    """A frozen clock the test moves by hand."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def make_service(db, at: datetime | None = None) -> tuple[AgendaService, Clock]:
    clock = Clock(at or utc(2027, 3, 20, 12))
    return AgendaService(db, load_councils(KNOWLEDGE / "councils"), clock=clock,
                         public_base_url="https://bot.example"), clock


def fields(title: str = "Bedre busforbindelser til Aalborg Lufthavn", closed: bool = False,
           meeting: str | None = None, party: str = "Nordjyllands Trafikselskab") -> ItemFields:
    return ItemFields(title=title, description="Passagererne oplever lange skift ved lufthavnen.", ask="advice",
                      responsible_party=party, decision_date=date(2027, 5, 1), closed_session=closed,
                      meeting_key=meeting)


async def insert_item(db, state: str, meeting_key: str | None = "2027-04-07", position: int | None = 1,
                      closed: bool = False, title: str = "Bedre busforbindelser") -> int:
    """An item placed directly in ``state`` (as if its history had happened), submitted by KKR."""
    now = utc(2027, 3, 1)
    async with db.sessions() as session, session.begin():
        item = AgendaItem(council_id=COUNCIL, meeting_key=meeting_key, position=position, state=state, title=title,
                          description="Beskrivelse", ask="advice", responsible_party="Nordjyllands Trafikselskab",
                          closed_session=closed, late=False, submitter_aad=KKR.aad_id, submitter_name=KKR.name,
                          submitter_party="KKR Nordjylland", created_at=now, updated_at=now)
        session.add(item)
        await session.flush()
        return item.id


def turn_for(actor: Actor, lang: str = "da", services=None, personal: bool = True) -> Turn:
    return Turn(text="", lang=lang, user=User(id="29:" + actor.aad_id, name=actor.name, aad_id=actor.aad_id),
                conversation=Conversation(id="c", type="personal" if personal else "groupChat"),
                services=services, renderer=RENDERER)


def knowledge_path() -> Path:
    return KNOWLEDGE
