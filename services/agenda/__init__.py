"""Passenger-council agenda items (issue 7): configuration, deadlines, state machine and storage."""
from services.agenda.config import Council, CouncilConfigError, Meeting, Member, load_councils
from services.agenda.service import ASKS, Actor, AgendaService, ItemFields
from services.agenda.workflow import ACTIONS, RULES, STATES, AgendaError

__all__ = ["ACTIONS", "ASKS", "RULES", "STATES", "Actor", "AgendaError", "AgendaService", "Council",
           "CouncilConfigError", "ItemFields", "Meeting", "Member", "load_councils"]
