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


@pytest.mark.parametrize("question, locale", [
    ("what did KKR write to the minister of employment?", "en-US"),
    ("hvad beder kommunerne om i brevet til Astrid Krag?", "da-DK"),
    ("which proposals does the letter to Astrid Krag make?", "en-US"),
    ("hvad foreslår KKR i brevet til beskæftigelsesministeren?", "da-DK"),
])
async def test_what_a_letter_says_is_not_answered_with_the_people_it_names(bot, question, locale):
    reply = await bot.say(question, locale=locale)
    for contact_list in ("Hvorfor: navnet", "Why: the name", "Flere kan hjælpe", "Several people can help",
                         "Hvorfor: rollen", "Why: the role"):
        assert contact_list not in reply, reply


@pytest.mark.parametrize("question, locale", [
    ("hvem underskrev brevet til Astrid Krag?", "da-DK"),
    ("who signed the letter to Mette Frederiksen?", "en-US"),
    ("hvem underskrev brevet til beskæftigelsesministeren?", "da-DK"),
])
async def test_who_signed_a_letter_to_a_minister_names_the_signer_not_the_addressee(bot, question, locale):
    reply = await bot.say(question, locale=locale)
    assert "Arne Boelt" in reply
    assert "Hvorfor: navnet" not in reply and "Why: the name" not in reply


@pytest.mark.parametrize("question, locale, missing, nearest", [
    ("hvad er telefonnummeret til KKR-sekretariatet?", "da-DK", "ikke noget telefonnummer for KKR Nordjylland",
     "Nærmeste rigtige kontakt: Arne Boelt"),
    ("telefonnummeret til KKR-sekretariatet", "da-DK", "ikke noget telefonnummer for KKR Nordjylland",
     "Nærmeste rigtige kontakt: Arne Boelt"),
    ("hvad er e-mailen til KKR-sekretariatet?", "da-DK", "ikke nogen e-mailadresse for KKR Nordjylland",
     "Nærmeste rigtige kontakt: Arne Boelt"),
    ("what is the phone number of the KKR secretariat?", "en-US", "don't give a phone number for KKR Nordjylland",
     "Nearest real contact: Arne Boelt"),
])
async def test_a_detail_the_documents_lack_for_kkr_is_said_plainly_with_the_nearest_contact(
        bot, question, locale, missing, nearest):
    reply = await bot.say(question, locale=locale)
    assert missing in reply and nearest in reply
    # The Passagerråd agreement's unfilled notice block is another matter, not KKR's phone or e-mail.
    assert "xx@xx.dk" not in reply and "Passagerråd" not in reply and "Passenger Council" not in reply


async def test_the_passenger_council_agreements_placeholder_still_answers_its_own_question(bot):
    reply = await bot.say("Hvad er KKR's e-mail i aftalen om passagerråd?")
    assert "ikke udfyldt" in reply and "pladsholdere" in reply
