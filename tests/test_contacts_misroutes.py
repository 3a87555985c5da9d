"""Questions that mention a person, a role or an organisation but do not ask whom to contact: a salary, an
age, a count, the people behind an act. The user must not get a contact card as if it were the answer."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("question", [
    "hvad er lønnen for en KKR-formand?",
    "what is the salary of the KKR chair?",
    "hvad tjener borgmesteren i Aalborg?",
    "hvor gammel er Arne Boelt?",
])
async def test_a_person_fact_the_directory_lacks_is_not_answered_with_a_contact_card(bot, question):
    reply = await bot.say(question, locale="en-US" if question.startswith("what") else "da-DK")
    assert "fremgår ikke" in reply or "don't cover" in reply
    assert "Hvorfor: rollen" not in reply and "Why: the role" not in reply


@pytest.mark.parametrize("question", [
    "hvor mange ansatte har KKR Nordjyllands sekretariat?",
    "hvor mange ansatte har sundhedssekretariatet?",
])
async def test_a_count_about_a_secretariat_is_not_answered_with_where_it_is(bot, question):
    reply = await bot.say(question)
    assert "holder til" not in reply


async def test_an_email_asked_for_a_secretariat_is_answered_as_an_email(bot):
    reply = await bot.say("hvad er e-mailadressen til sundhedssekretariatet?")
    assert "e-mailadresse" in reply and "holder til" not in reply


async def test_who_is_behind_sexism_is_not_a_contact_person(bot):
    reply = await bot.say("hvem står bag sexismen mod politikere?")
    assert "KL (Kommunernes Landsforening). Kommunernes forening" not in reply
    assert "går til borgmesteren" not in reply


async def test_who_questions_still_find_contacts(bot):
    assert "Arne Boelt" in await bot.say("hvem er formand for KKR Nordjylland?")
    assert "Thomas Kastrup-Larsen" in await bot.say("who is the mayor of Aalborg?", locale="en-US")
