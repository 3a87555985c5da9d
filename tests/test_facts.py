"""Free questions answered from the facts and passages, in Danish and English, with the source; honest
refusals that say what the documents cover; greetings left to the fallback; follow-ups; speed."""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import yaml

from bot.settings import ROOT
from services.facts import KnowledgeBase, KnowledgeError, asks_for, has_person, load_facts
from services.passages import load_passages

KNOWLEDGE = ROOT / "knowledge"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.load(KNOWLEDGE)


@pytest.mark.parametrize("lang,question,fact_id", [
    ("da", "Hvem sender dagsordenen ud til Passagerrådets møder?", "passagerpulsen_drift"),
    ("da", "Må KKR komme med forslag til punkter på dagsordenen?", "passagerraad_dagsorden_forslag"),
    ("en", "Is there a deadline for submitting agenda items?", "passagerraad_frist"),
    ("da", "Er referaterne fra Passagerrådet offentlige?", "passagerraad_offentlighed"),
    ("da", "Hvor lang er opsigelsesfristen i aftalen med Passagerpulsen?", "passagerraad_opsigelse"),
    ("en", "Is KKR required to pay for the passenger councils?", "kkr_ikke_forpligtet_passagerraad"),
    ("da", "Kan jeg være anonym hvis jeg anmelder sexisme?", "sexisme_anonymitet"),
    ("en", "Should I go to the police if I am sexually harassed?", "sexisme_politi"),
    ("en", "How can I report sexism?", "sexisme_henvendelse_kanal"),
    ("da", "Hvor mange procent af kvinderne har oplevet grænseoverskridende adfærd?", "sexisme_undersoegelse"),
    ("en", "How big is the Limfjord area?", "limfjord_areal"),
    ("da", "Hvornår skal busserne være fossilfri?", "klima_nt_busser"),
    ("en", "Which municipalities are part of the Covenant of Mayors?", "borgmesterpagt_medlemmer"),
    ("da", "Hvor mange penge er der afsat til cykelstier?", "klima_groen_vejtransport"),
    ("da", "Hvor ligger Erhvervshus Nordjylland?", "erhvervshus_placering"),
    ("en", "Who owns SKI?", "klima_ski_ejerskab"),
    ("en", "How many pedagogue places did KKR decide in 2015?", "paedagog_beslutning_2015"),
])
def test_questions_find_their_fact(kb: KnowledgeBase, lang: str, question: str, fact_id: str) -> None:
    answer = kb.lookup(question, lang)
    assert answer is not None and answer.kind in ("fact", "facts"), (question, answer and answer.kind)
    assert fact_id in [answer.fact.id, *(f.id for f in answer.others)]
    assert 0.6 <= answer.score <= 1.0


def test_a_passage_answer_quotes_the_bundle_with_its_lines(kb: KnowledgeBase) -> None:
    answer = kb.lookup("Hvornår overgik pædagoguddannelsen i Thisted til UCN?", "da")
    assert answer is not None and answer.kind == "passage"
    quote = answer.quote
    assert all(part in quote.passage.text for part in quote.text.split(" … "))  # a quote, never a paraphrase

    assert "1. juli 2016" in quote.text
    first, last = quote.lines
    assert quote.passage.lines[0] <= first <= last <= quote.passage.lines[1]
    assert len(quote.text) < 500


@pytest.mark.parametrize("lang,question,missing", [
    ("da", "Hvad er Erhvervshus Midtjyllands basisbevilling for 2021?", ""),
    ("en", "What is Passagerpulsen's phone number?", "phone"),
    ("en", "Who is the chair of the passenger council in Nordjylland?", "person"),
    ("da", "Hvornår blev den samlede evalueringsrapport offentliggjort?", "date"),
    ("da", "Hvor stor er Limfjordsrådets budget?", "amount"),
    ("da", "Hvem er borgmester i Odense?", ""),
    ("en", "What is the weather in Aalborg tomorrow?", ""),
    ("da", "Hvad koster en busbillet i Nordjylland?", ""),
])
def test_questions_the_documents_do_not_answer_are_refused(kb: KnowledgeBase, lang, question, missing) -> None:
    answer = kb.lookup(question, lang)
    assert answer is not None and answer.kind == "refusal", (question, answer and answer.kind)
    assert answer.score == pytest.approx(0.31)
    if missing:
        assert answer.missing == missing


def test_refusal_names_what_is_missing_and_quotes_what_is_there(kb: KnowledgeBase) -> None:
    answer = kb.lookup("Hvor har Erhvervshus Sydjylland sin filial?", "da")
    assert answer.kind == "refusal" and answer.absent == ("Sydjylland",)
    assert "filial" in answer.nearest.text


def test_refusal_for_a_missing_date_quotes_the_fact_on_the_topic(kb: KnowledgeBase) -> None:
    answer = kb.lookup("Hvornår skal klimaambitionen revideres?", "da")
    assert answer.kind == "refusal" and answer.missing == "date"
    assert answer.fact is not None and answer.fact.id == "klima_evaluering_revision"


@pytest.mark.parametrize("text", ["hej", "Hej!", "tak", "thanks", "asdf qwerty", "ok", "zzzz", "Hvordan går det?",
                                  "Kan du hjælpe mig?", "What can you do?", "Hvad hedder du?"])
def test_greetings_and_gibberish_are_left_to_the_fallback(kb: KnowledgeBase, text: str) -> None:
    from bot.language import detect_language

    assert kb.lookup(text, detect_language(text)) is None


def test_quote_adds_the_sentence_naming_the_subject(kb: KnowledgeBase) -> None:
    quote = kb.passages.quote(next(i for i, p in enumerate(kb.passages.passages) if "Natureman er et" in p.text),
                              kb.terms("Hvad er Natureman-projektets projektperiode?", "da"))
    assert "Natureman" in quote.text and "2018 – 2025" in quote.text and " … " in quote.text


def test_ambiguous_question_gives_each_fitting_fact(kb: KnowledgeBase) -> None:
    answer = kb.lookup("Hvornår udløber aftalen?", "da")
    assert answer is not None and answer.kind == "facts"
    ids = {answer.fact.id, *(f.id for f in answer.others)}
    assert {"passagerraad_varighed", "rammeaftale_erhvervshuse_udloeb"} <= ids


def test_follow_up_uses_the_previous_question(kb: KnowledgeBase) -> None:
    first = kb.lookup("Hvilke kommuner er med i borgmesterpagten?", "da")
    assert first is not None and first.fact.id == "borgmesterpagt_medlemmer"
    follow = kb.lookup("Og hvad har Aalborg forpligtet sig til?", "da", first.terms)
    assert follow is not None and follow.kind != "refusal"
    text = follow.fact.answer["da"] if follow.fact else follow.quote.text
    assert "40 procent" in text


@pytest.mark.parametrize("question", ["Hvad er KKR's e-mailadresse?", "Hvad er KKR's adresse i Passagerråd-aftalen?",
                                      "Who signs the Passagerråd agreement for KKR?"])
def test_the_templates_placeholders_are_never_given_as_facts(kb: KnowledgeBase, question: str) -> None:
    answer = kb.lookup(question, "en" if question.startswith("Who") else "da")
    shown = " ".join(filter(None, [answer.fact and answer.fact.answer["da"], answer.fact and answer.fact.quote,
                                   answer.quote and answer.quote.text, answer.nearest and answer.nearest.text]))
    assert "xx@xx" not in shown and "[Navn]" not in shown


def test_an_og_question_without_our_topic_yields_to_other_answers(kb: KnowledgeBase) -> None:
    answer = kb.lookup("Og hvor meget faldt tallet til 2020?", "da")
    assert answer is None or answer.score <= 0.55


def test_what_a_question_asks_for() -> None:
    assert asks_for("Hvad er Passagerpulsens telefonnummer?") == ["phone"]
    assert asks_for("When was the report published?") == ["date"]
    assert "person" in asks_for("Who is the chair of the council?")
    assert asks_for("Hvem indkalder til møderne?") == []  # an organisation may answer "who"
    assert has_person("Formand: Mogens Christen Gade") and not has_person("Alle Parter kan")


def test_broken_facts_file_names_file_and_field(tmp_path: Path) -> None:
    doc = yaml.safe_load((KNOWLEDGE / "facts.yaml").read_text(encoding="utf-8"))
    del doc["facts"][1]["answer"]["en"]
    broken = tmp_path / "facts.yaml"
    broken.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    passages = load_passages(KNOWLEDGE / "passages")
    with pytest.raises(KnowledgeError, match=r"facts\.yaml: facts\[1\] \(\w+\): field 'answer\.en'"):
        load_facts(broken, passages)
    doc["facts"][1]["answer"]["en"] = "x"
    doc["facts"][1]["lines"] = [99999, 99999]
    broken.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"field 'lines' .* outside every document section"):
        load_facts(broken, passages)


def test_lookup_speed(kb: KnowledgeBase) -> None:
    """Prints the time per question; no timed assertion (the machine is shared)."""
    questions = ["Hvem indkalder til møder i følgegruppen?", "How many hectares of wetlands are there?",
                 "Hvornår udløber rammeaftalen?", "Hvad er Odenses budget?", "Kan man være anonym?"] * 20
    start = time.perf_counter()
    for q in questions:
        kb.lookup(q, "en" if re.search(r"\b(how|many|are|there)\b", q) else "da")
    per_question = (time.perf_counter() - start) / len(questions) * 1000
    print(f"\nfacts lookup: {per_question:.2f} ms per question over {len(questions)} questions")


# ----------------------------------------------------------------------------------------- through the bot
async def test_bot_answers_a_fact_with_its_source(bot) -> None:
    reply = await bot.say("Hvem er dataansvarlig for Passagerrådene?")
    assert "Passagerpulsen er dataansvarlig" in reply
    assert "kilde:" in reply and "linje 8471" in reply


async def test_bot_answers_english_with_an_english_lead(bot) -> None:
    reply = await bot.say("Are the passenger council minutes public?", locale="en-US")
    assert reply.startswith("Yes.") and "publicly available" in reply
    assert "source:" in reply


async def test_bot_refuses_honestly_and_says_what_is_covered(bot) -> None:
    reply = await bot.say("Hvad koster en busbillet i Nordjylland?")
    assert "fremgår ikke af dokumenterne" in reply
    assert "Dokumenterne dækker" in reply and "Spørg evt." in reply
    assert not re.search(r"\d+ ?kr", reply)  # no invented price


async def test_bot_follow_up_in_the_same_conversation(bot) -> None:
    await bot.say("Which municipalities have signed the Covenant of Mayors?", conversation="c-follow", locale="en-US")
    reply = await bot.say("And what did Aalborg commit to?", conversation="c-follow", locale="en-US")
    assert "40" in reply
