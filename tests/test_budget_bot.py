"""Budget answers through the whole app over HTTP: follow-ups persist in conversation state, buttons for
ambiguity, English in English, honest refusals, and the follow-up context expires once another answer
came between."""
from __future__ import annotations


async def test_budget_conversation_over_http(bot):
    first = await bot.say("Hvad betaler Hjørring til Børnehus Nord?")
    assert "489.473" in first and "linje 8322" in first
    assert "1.527.364" in await bot.say("og Aalborg?")
    assert "1.460.390" in await bot.say("hvad med 2020?")
    # another conversation has its own context
    assert "1.527.364" not in await bot.say("og Aalborg?", conversation="conv-2")
    # the context expires when something else was answered in between
    await bot.say("hjælp")
    await bot.say("Hvad er sundhedsaftalen?")
    assert "1.460.390" not in await bot.say("og Aalborg?")
    reply = await bot.say("Hvad betaler Odense til Børnehus Nord?")
    assert "fremgår ikke" in reply and "Odense" in reply


async def test_ambiguity_buttons_and_english(bot):
    reply = await bot.say("Hvad er Hjørrings andel?")
    assert "1.862" in reply and "489.473" in reply
    assert "Erhvervshus Nordjyllands basisbevilling 2021 – Hjørring" in reply  # the button value
    answer = await bot.say("Erhvervshus Nordjyllands basisbevilling 2021 – Hjørring")
    assert "Hjørring betaler 1.862 (1.000 kr.)" in answer and "489.473" not in answer
    reply = await bot.say("How much does Hjorring pay to the business house?", locale="en-US")
    assert "Hjørring pays 1,862" in reply and "source:" in reply


async def test_a_short_follow_up_keeps_the_language_of_the_answer(bot):
    assert "2,126,114" in await bot.say("What is the total 2021 budget of the Nordjysk Socialaftale secretariat?",
                                        locale="en-US", conversation="en-1")
    reply = await bot.say("as a percentage?", locale="da-DK", conversation="en-1")
    assert "source:" in reply


def _digits(text: str) -> str:
    import re

    return re.sub(r"(?<=\d)[.,  ](?=\d)", "", text).casefold()


async def test_budget_question_set_over_http(bot):
    """tests/fixtures/budget_questions.yaml with dev.yaml's matching rules (case, digit separators)."""
    from pathlib import Path

    import yaml

    items = yaml.safe_load((Path(__file__).parent / "fixtures" / "budget_questions.yaml").read_text(encoding="utf-8"))
    failures = []
    for item in items:
        conversation = f"set-{item['id']}"
        locale = "en-US" if item["lang"] == "en" else "da-DK"
        for earlier in item["context"]:
            await bot.say(earlier, conversation=conversation, locale=locale)
        reply = _digits(await bot.say(item["question"], conversation=conversation, locale=locale))
        ok = (all(_digits(s) in reply for s in item["expect_all"])
              and (not item["expect_any"] or any(_digits(s) in reply for s in item["expect_any"]))
              and not any(_digits(s) in reply for s in item["expect_none"]))
        if not ok:
            failures.append((item["id"], item["question"], reply[:200]))
    assert not failures, failures


async def test_a_count_the_tables_do_not_hold_gets_no_money_row_or_study_places(bot):
    # "other staff costs" is money, not a number of staff; the dimensioning counts study places, not a shortage
    reply = await bot.say("how many staff work at Børnehus Nord?", locale="en-US", conversation="cnt-1")
    assert "240,000" not in reply and "DKK" not in reply
    reply = await bot.say("hvor mange socialrådgivere har Børnehus Nord?", conversation="cnt-2")
    assert "1.689.000" not in reply
    reply = await bot.say("hvor mange pædagoger mangler der?", conversation="cnt-3")
    assert "studiepladser" not in reply and "517" not in reply
    reply = await bot.say("hvor mange indbyggere har Thisted Kommune?", conversation="cnt-4")
    assert "8.651" not in reply  # the number of 0-17-year-olds is not the population
    # counts the tables do hold still answer
    assert "225 sager" in await bot.say("hvor mange sager regner Børnehus Nord med i 2021?", conversation="cnt-5")
    assert "517" in await bot.say("hvor mange pædagoger skal uddannes på UCN næste år?", conversation="cnt-6")


async def test_one_persons_pay_is_not_answered_with_a_budget_line(bot):
    for question, locale, refusal, whole in [
        ("hvad er lønnen for en socialrådgiver i Børnehus Nord?", "da-DK", "hvad én person tjener",
         "hele postens lønudgift, ikke én persons løn"),
        ("hvor meget tjener en socialrådgiver i Børnehus Nord?", "da-DK", "hvad én person tjener",
         "hele postens lønudgift, ikke én persons løn"),
        ("what does a social worker earn in Børnehus Nord?", "en-US", "what one person earns",
         "not one person's pay"),
    ]:
        reply = await bot.say(question, locale=locale)
        assert refusal in reply and whole in reply, reply
        assert not reply.startswith(("Børnehus Nords budget –", "Børnehus Nord's budget –")), reply
    # The salary budget itself is still a budget figure.
    reply = await bot.say("hvad er lønbudgettet for Børnehus Nord?")
    assert reply.startswith("Børnehus Nords budget – lønudgift i alt: 5.890.000 kr.")


async def test_children_examined_by_boernehus_nord_are_answered_with_its_cases_said_to_be_cases(bot):
    reply = await bot.say("hvor mange børn blev undersøgt i Børnehus Nord i 2020?")
    assert "tæller sager, ikke børn" in reply and "210 sager (budget 2020)" in reply
    assert "113.013" not in reply and "0-17" not in reply
    reply = await bot.say("how many children were examined in Børnehus Nord in 2021?", locale="en-US")
    assert "count cases, not children" in reply and "225 cases (budget 2021)" in reply
    reply = await bot.say("hvor mange børn blev undersøgt i Børnehus Nord i 2019?")
    assert "fremgår ikke" in reply and "113.646" not in reply
    # Children living in a municipality are still the 0-17 population.
    assert "12.564" in await bot.say("hvor mange børn bor der i Hjørring?")
