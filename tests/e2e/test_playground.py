"""A person in the Microsoft 365 Agents Playground (Teams, offline) talking to the bot, in headless Chromium.

Each step saves a screenshot under test-artifacts/playground/; the assertions are what that person reads.
The Playground's user is Karen KKR, KKR's member of the passenger council's follow-up group.
"""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow  # about a minute: a Node server, Chromium and the bot as real processes


def test_budget_question_is_answered_with_its_source(chat):
    reply = chat.say("hvad betaler Hjørring til Børnehus Nord i 2021?")
    chat.shot("01-budget-answer")
    assert "489.473 kr." in reply
    assert "3.8 Børnehus Nord – Budget og takster for 2021" in reply and "linje 8322" in reply


def test_contact_question_shows_the_contact_card(chat):
    reply = chat.say("hvem skal jeg kontakte om frikommuneforsøg?", replies=2)
    chat.page.get_by_text("Netta Ben-Yedidia", exact=True).last.scroll_into_view_if_needed()
    chat.shot("02-contact-card")
    assert "Netta Ben-Yedidia" in reply and "Frikommunekoordinator" in reply
    assert "nby-jobcenter@aalborg.dk" in reply and "25 20 27 25" in reply
    assert "linje 354-356" in reply  # where in the documents the person is named
    assert chat.page.get_by_role("button", name="Send mit spørgsmål videre").last.is_visible()


def test_agenda_item_card_is_filled_and_submitted(chat):
    reply = chat.say("nyt dagsordenspunkt")
    assert "Nyt punkt til Passagerrådets dagsorden" in reply and "Næste møde: 20.01.2027" in reply
    page = chat.page
    page.get_by_label("Titel").last.fill("Bedre busforbindelser til Læsø-færgen")
    page.get_by_label("Beskrivelse").last.fill("Busserne fra Frederikshavn passer ikke med færgens afgange om aftenen.")
    page.get_by_role("combobox", name="Hvad beder I rådet om?").last.click()
    page.get_by_role("option", name="Drøftelse").click()
    page.get_by_role("combobox", name="Ansvarlig part").last.click()
    page.get_by_role("option", name="Nordjyllands Trafikselskab").click()
    chat.shot("03-agenda-card-filled")
    reply = chat.click("Indsend")
    chat.shot("04-agenda-item-submitted")
    # Danish, like the conversation, although the Playground's client locale is en-US.
    assert "Tak! Punkt" in reply and "Bedre busforbindelser til Læsø-færgen" in reply and "20.01.2027" in reply
    mine = chat.say("mine punkter")
    chat.shot("05-agenda-my-items")
    assert "Bedre busforbindelser til Læsø-færgen" in mine


def test_report_started_in_personal_chat_and_cancelled(chat):
    reply = chat.say("jeg vil indberette sexisme")
    assert "Hvilken kommune" in reply
    reply = chat.click("Hjørring", replies=3)
    chat.shot("06-report-started")
    assert "Hvem modtager den" in reply and "Indberetning til Hjørring Kommune" in reply
    assert "annuller" in reply
    reply = chat.say("annuller")
    chat.shot("07-report-cancelled")
    assert "Annulleret" in reply and "Intet af det, du skrev i forløbet, er gemt" in reply
