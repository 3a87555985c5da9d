"""The contact directory: it loads and validates, every topic routes to someone, names and roles are found
however people type them, placeholders never become contacts, and every person is in the lines cited."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from bot.settings import ROOT, Settings
from services import municipalities
from services.contacts import ContactMatch, Directory, DirectoryError, is_placeholder

DIRECTORY = ROOT / "knowledge" / "directory"
D = Directory.load(DIRECTORY)
BUNDLE = Settings().documents_path


def ids(matches: list[ContactMatch], n: int = 3) -> list[str]:
    return [m.id for m in matches[:n]]


# ------------------------------------------------------------------------------ every topic routes
TOPIC_KEYWORDS = [(t.id, lang, kw) for t in D.topics.values() for lang in ("da", "en") for kw in t.keywords[lang]]


@pytest.mark.parametrize("topic, lang, keyword", TOPIC_KEYWORDS, ids=[f"{t}:{k}" for t, _, k in TOPIC_KEYWORDS])
def test_every_topic_keyword_routes_to_a_contact_for_that_topic(topic, lang, keyword):
    matches = D.route(keyword, lang)
    expected = set(D.topics[topic].contacts)
    assert matches, f"{keyword!r} found nobody"
    assert expected & set(ids(matches, 4)), f"{keyword!r} -> {ids(matches, 4)}, expected one of {expected}"


@pytest.mark.parametrize("topic", sorted(D.topics))
def test_a_question_about_each_topic_names_its_first_contact(topic):
    t = D.topics[topic]
    first = t.contacts[0]
    question = f"hvem skal jeg kontakte om {t.keywords['da'][0]}?"
    assert first in ids(D.route(question, "da"), 4)


# ------------------------------------------------------------------------------ names and roles
@pytest.mark.parametrize("pid", sorted(D.people))
def test_every_person_is_found_by_full_name(pid):
    person = D.people[pid]
    assert D.route(person.name, "da")[0].id == pid
    assert D.route(f"hvem er {person.name.lower()}?", "da")[0].id == pid


MAYORS = {"Thisted": "Ulla Vestergaard", "Aalborg": "Thomas Kastrup-Larsen", "Hjørring": "Arne Boelt",
          "Jammerbugt": "Mogens Christen Gade", "Frederikshavn": "Birgit S. Hansen", "Morsø": "Hans Ejner Bertelsen",
          "Læsø": "Karsten Nielsen", "Rebild": "Leon Sebbelin", "Brønderslev": "Michael Klitgaard",
          "Mariagerfjord": "Mogens Jespersen", "Vesthimmerland": "Per Bach Laursen"}


def test_all_eleven_mayors_are_in_the_directory():
    assert set(MAYORS) == set(municipalities.ALL)


@pytest.mark.parametrize("municipality", sorted(MAYORS))
@pytest.mark.parametrize("template, lang", [("hvem er borgmester i {m}?", "da"), ("{m}s borgmester – hvem er det?", "da"),
                                            ("who is the mayor of {m}?", "en"), ("{m} Kommune borgmester", "da")])
def test_the_mayor_of_each_municipality(municipality, template, lang):
    top = D.route(template.format(m=municipality), lang)[0]
    assert top.name == MAYORS[municipality]
    assert top.role in ("Borgmester", "Mayor")


@pytest.mark.parametrize("question, lang, name", [
    ("Hvem er formand for KKR Nordjylland?", "da", "Arne Boelt"),
    ("hvem er KKR-formand", "da", "Arne Boelt"),
    ("hvem er formand?", "da", "Arne Boelt"),
    ("Who is the deputy chair?", "en", "Mogens Christen Gade"),
    ("hvem er næstformand i KKR?", "da", "Mogens Christen Gade"),
    ("Who is the vice-chair of KKR?", "en", "Mogens Christen Gade"),
    ("Who chairs the board of Erhvervshus Nordjylland?", "en", "Mogens Christen Gade"),
    ("Who is the chair of the regional council (regionsrådsformand) in Region Nordjylland?", "en", "Ulla Astman"),
    ("hvem er regionsrådsformand", "da", "Ulla Astman"),
    ("hvem er frikommunekoordinator?", "da", "Netta Ben-Yedidia"),
    ("who is the contact at Passagerpulsen?", "en", "Gitte Kjær-Westermann"),
    ("hvem skrev under for Passagerpulsen?", "da", "Laura Kirch Kirkegaard"),
    ("hvem er formand for BRN?", "da", "Mogens Christen Gade"),
    ("hvem er formand for Limfjordsrådet?", "da", "Jens Lauritzen"),
    ("hvem var beskæftigelsesminister?", "da", "Peter Hummelgaard"),
    ("who was the minister for employment", "en", "Peter Hummelgaard"),
    ("Hvem skrev brevet til statsministeren?", "da", "Arne Boelt"),
    ("Who wrote to the Minister for Employment?", "en", "Arne Boelt"),
    ("Hvem er afdelingschef hos Passagerpulsen?", "da", "Laura Kirch Kirkegaard"),
])
def test_roles_at_organisations(question, lang, name):
    assert D.route(question, lang)[0].name == name


@pytest.mark.parametrize("question", ["Netta", "netta ben-yedidia", "Netta Ben Yedidia", "Ben-Yedidia",
                                      "frikommuneforsøg", "frikommune forsøg", "Frikommune-forsøg",
                                      "FRIKOMMUNEFORSØGENE", "frikommuneforsog", "frikomune forsøg",
                                      "hvem skal jeg kontakte om frikommuneforsøgene?",
                                      "who should I contact about the free municipality trials?"])
def test_spelling_tolerance_finds_the_frikommune_coordinator(question):
    assert D.route(question, "da")[0].id == "netta-ben-yedidia"


def test_a_topic_with_no_named_person_routes_to_the_organisation_responsible():
    top = D.route("jeg har et spørgsmål om Børnehus Nords takster", "da")
    assert top[0].id == "boernehus-nord" and top[0].kind == "organisation"
    assert "kkr-nordjylland" in ids(top)
    assert D.route("hvem står for DK2020?", "da")[0].id == "brn"


def test_a_person_shown_for_a_topic_appears_in_the_role_that_fits_it():
    dk2020 = next(m for m in D.route("hvem står for DK2020?", "da") if m.id == "mogens-christen-gade")
    assert "BRN" in dk2020.role
    contract = next(m for m in D.route("resultatkontrakten", "da") if m.id == "mogens-christen-gade")
    assert "Erhvervshus" in contract.role


# ------------------------------------------------------------------------------ ambiguity
@pytest.mark.parametrize("question, expected", [
    ("Ulla", {"ulla-astman", "ulla-vestergaard"}),
    ("hvem er Mogens?", {"mogens-christen-gade", "mogens-jespersen"}),
    ("Hansen", {"birgit-s-hansen", "torben-hansen"}),
])
def test_an_ambiguous_name_gives_every_candidate(question, expected):
    matches = D.route(question, "da")
    assert expected <= set(ids(matches, 4))
    scores = {m.id: m.score for m in matches}
    assert max(scores[i] for i in expected) - min(scores[i] for i in expected) < 0.05


def test_a_full_name_is_not_ambiguous():
    assert ids(D.route("Ulla Astman", "da"), 1) == ["ulla-astman"]
    assert "ulla-vestergaard" not in ids(D.route("Ulla Astman", "da"))


def test_asking_who_someone_is_gives_all_their_main_roles():
    arne = D.route("Hvem er Arne Boelt?", "da")[0]
    assert "Formand for KKR Nordjylland" in arne.role and "Hjørring Kommune" in arne.role


def test_a_role_nobody_holds_is_echoed_as_typed():
    top = D.lookup("Hvem er kommunaldirektør i Hjørring?", "da").matches[0]
    assert top.kind == "unfilled" and top.asked_role == "kommunaldirektør" and top.organisation == "Hjørring Kommune"
    assert "arne-boelt" in [n.id for n in top.nearest]


def test_a_mayor_without_a_municipality_is_not_guessed():
    lk = D.lookup("hvem er borgmester i Odense?", "da")
    assert lk.all_mayors


# ------------------------------------------------------------------------------ placeholders and gaps
def test_the_kkr_contact_in_the_passenger_council_agreement_is_not_filled_in():
    top = D.lookup("Hvad er KKR's e-mail i aftalen om passagerråd?", "da").matches[0]
    assert top.kind == "unfilled" and not top.is_real
    assert "xx@xx.dk" in " ".join(top.placeholder)
    assert top.email == "" and top.nearest and all(n.is_real for n in top.nearest)
    signer = D.lookup("hvem underskriver aftalen om passagerråd for KKR?", "da").matches[0]
    assert signer.kind == "unfilled" and "[Navn]" in " ".join(signer.placeholder)


def test_a_role_the_documents_do_not_name_is_said_to_be_missing():
    chair = D.lookup("Who is the chair (forperson) of the passenger council in North Jutland?", "en").matches[0]
    assert chair.kind == "unfilled" and not chair.placeholder
    assert [n.id for n in chair.nearest][:1] == ["passagerpulsen"]
    director = D.lookup("hvem er direktør for Erhvervshus Nordjylland?", "da").matches[0]
    assert director.kind == "unfilled"
    assert "mogens-christen-gade" in [n.id for n in director.nearest]


QUESTIONS = ["hvem er KKR's kontaktperson?", "kkr email", "Passagerpulsen", "hvem skal jeg skrive til om passagerrådet",
             "KKR adresse", "underskriver for KKR", "kontakt KKR om aftalen", "xx@xx.dk", "[Navn]"]


@pytest.mark.parametrize("question", QUESTIONS)
def test_route_only_ever_gives_real_contacts(question):
    assert all(m.is_real for m in D.route(question, "da"))


@pytest.mark.parametrize("question", QUESTIONS)
def test_no_answer_ever_carries_a_placeholder_as_a_contact_detail(question):
    for m in D.lookup(question, "da").matches:
        for value in (m.name, m.email, m.phone, m.address):
            assert not is_placeholder(value), (question, m)
        for n in m.nearest:
            assert n.is_real and not is_placeholder(n.email) and not is_placeholder(n.name)


@pytest.mark.parametrize("value", ["xx@xx.dk", "Att.: xx xx", "[Navn]", "[Titel]", "Adresse 1", "xx.xx.xxxx"])
def test_placeholder_patterns(value):
    assert is_placeholder(value)


@pytest.mark.parametrize("value", ["gkw@fbr.dk", "nby-jobcenter@aalborg.dk", "Gitte Kjær-Westermann", "25202725"])
def test_real_values_are_not_placeholders(value):
    assert not is_placeholder(value)


# ------------------------------------------------------------------------------ validation
def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "directory"
    shutil.copytree(DIRECTORY, target)
    return target


def _edit(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_a_placeholder_address_stops_start_up_naming_file_and_field(tmp_path):
    target = _copy(tmp_path)
    _edit(target / "people.yaml", lambda d: d["people"][0].update(email="xx@xx.dk"))
    with pytest.raises(DirectoryError, match=r"people\.yaml: people\[0\] \(arne-boelt\)\.email: 'xx@xx\.dk' is a placeholder"):
        Directory.load(target)


def test_a_placeholder_name_stops_start_up(tmp_path):
    target = _copy(tmp_path)
    _edit(target / "people.yaml", lambda d: d["people"][1].update(name="[Navn]"))
    with pytest.raises(DirectoryError, match=r"people\.yaml.*\.name: '\[Navn\]' is a placeholder"):
        Directory.load(target)


def test_unknown_references_and_broken_yaml_are_refused(tmp_path):
    target = _copy(tmp_path)
    _edit(target / "topics.yaml", lambda d: d["topics"][0].update(contacts=["nobody"]))
    with pytest.raises(DirectoryError, match=r"topics \(frikommune\)\.contacts: unknown person or organisation 'nobody'"):
        Directory.load(target)
    (target / "topics.yaml").write_text("topics: [\n", encoding="utf-8")
    with pytest.raises(DirectoryError, match=r"topics\.yaml: not valid YAML"):
        Directory.load(target)


def test_missing_source_lines_are_refused_unless_the_secretariat_added_the_person(tmp_path):
    target = _copy(tmp_path)
    extra = {"people": [{"id": "ny-person", "name": "Ny Person", "email": "ny@kkr.example",
                         "roles": [{"role": "contact", "org": "kkr-nordjylland", "title": "Sekretariatschef"}]}]}
    (target / "secretariat.yaml").write_text(yaml.safe_dump(extra, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DirectoryError, match=r"secretariat\.yaml: people\[0\] \(ny-person\)\.roles\[0\]\.lines: missing"):
        Directory.load(target)
    extra["people"][0]["source"] = "secretariat"
    extra["people"][0]["topics"] = ["paedagog"]
    (target / "secretariat.yaml").write_text(yaml.safe_dump(extra, allow_unicode=True), encoding="utf-8")
    directory = Directory.load(target)
    assert directory.route("Ny Person", "da")[0].email == "ny@kkr.example"
    assert directory.route("hvem er kontaktperson hos KKR", "da")[0].id == "ny-person"


def test_the_secretariat_can_add_a_topic_without_code(tmp_path):
    target = _copy(tmp_path)
    extra = {"topics": [{"id": "vinterbadning", "source": "secretariat", "name": {"da": "Vinterbadning"},
                         "keywords": {"da": ["vinterbadning"], "en": ["winter swimming"]},
                         "contacts": ["netta-ben-yedidia"]}]}
    (target / "extra.yaml").write_text(yaml.safe_dump(extra, allow_unicode=True), encoding="utf-8")
    assert Directory.load(target).route("hvem ved noget om vinterbadning", "da")[0].id == "netta-ben-yedidia"


# ------------------------------------------------------------------------------ provenance
def _bundle_text(lines: str) -> str:
    all_lines = BUNDLE.read_text(encoding="utf-8").splitlines()
    chunks = []
    for part in lines.split(","):
        a, _, b = part.strip().partition("-")
        chunks.extend(all_lines[int(a) - 1:int(b or a)])
    text = " ".join(chunks)
    text = re.sub(r"-\s+", "", text)  # hyphenation across lines ("Ben-" / "Yedidia", "aal-" / "borg")
    return re.sub(r"\s+", " ", text).casefold()


needs_bundle = pytest.mark.skipif(not BUNDLE.exists(), reason="the document bundle is not on this machine")


@needs_bundle
@pytest.mark.parametrize("pid", sorted(D.people))
def test_every_person_and_their_details_occur_in_the_lines_they_cite(pid):
    p = D.people[pid]
    for role in p.roles:
        text = _bundle_text(role.lines)
        printed = (p.printed or p.name).casefold()
        assert printed.replace("-", "") in text.replace("-", "") or p.name.split()[-1].casefold() in text, \
            f"{p.name} not in lines {role.lines}"
    if p.email or p.phone:
        text = _bundle_text(p.lines).replace(" ", "")
        assert p.email.casefold().replace("-", "") in text.replace("-", "")
        assert p.phone in text


@needs_bundle
@pytest.mark.parametrize("oid", sorted(o for o in D.orgs if D.orgs[o].location or D.orgs[o].secretariat))
def test_locations_and_secretariats_are_in_their_lines(oid):
    org = D.orgs[oid]
    for info in (org.location, org.secretariat):
        if info:
            text = _bundle_text(info["lines"])
            key = re.findall(r"(Aalborg|Hjørring|Mors|Fiolstræde|projektsekretariat)", info["da"])
            assert key and all(k.casefold() in text for k in key), (oid, info)


@needs_bundle
def test_the_placeholders_are_what_the_bundle_prints():
    for org in D.orgs.values():
        for role in org.open_roles:
            text = _bundle_text(role.lines)
            for printed in role.placeholder:
                assert printed.casefold() in text, (org.id, printed)


# ------------------------------------------------------------------------------ signatures and who-questions
def _confidence(question: str, lang: str = "da"):
    from handlers.contact import confidence

    return confidence(D, D.lookup(question, lang), question)


@pytest.mark.parametrize("question, lang, expected", [
    ("hvem underskrev resultatkontrakten?", "da", {"arne-boelt": "resultatkontrakt",
                                                  "mogens-christen-gade": "resultatkontrakt"}),
    ("hvem underskrev resultatkontrakten for KKR?", "da", {"arne-boelt": "resultatkontrakt"}),
    ("hvem underskrev brevet til beskæftigelsesministeren?", "da", {"arne-boelt": "frikommune",
                                                                   "mogens-christen-gade": "frikommune"}),
    ("who signed the letters on behalf of KKR?", "en", {"arne-boelt": "frikommune",
                                                        "mogens-christen-gade": "frikommune"}),
    ("hvem underskriver aftalen for Passagerpulsen?", "da", {"laura-kirch-kirkegaard": "passagerr"}),
])
def test_a_signer_is_shown_with_what_they_signed(question, lang, expected):
    """Arne Boelt signed both the Frikommuneforsøg letters and the resultatkontrakt for KKR: the answer shows
    the signature the question is about, with its lines."""
    lk = D.lookup(question, lang)
    assert _confidence(question, lang) >= 0.93
    shown = {m.id: m for m in lk.matches if m.score >= 0.85}
    assert set(shown) == set(expected)
    for pid, matter in expected.items():
        assert matter in shown[pid].role.casefold(), shown[pid].role
    if "resultatkontrakt" in expected.values():
        assert all("5307" in shown[pid].lines for pid in expected)


@pytest.mark.parametrize("question, lang", [
    ("hvem underskrev KKR's høringssvar om busdrift?", "da"),  # not what KKR's signers signed in the documents
    ("who signed KKR's budget?", "en"),
    ("hvem underskrev rammeaftalen?", "da"),  # a narrower matter than the resultatkontrakt they signed
    ("who signed the framework agreement?", "en"),
])
def test_a_signature_on_something_else_is_not_answered_with_the_known_signers(question, lang):
    lk = D.lookup(question, lang)
    assert not any(m.score >= 0.85 and m.id in ("arne-boelt", "mogens-christen-gade") for m in lk.matches)
    assert (_confidence(question, lang) or 0) < 0.9


@pytest.mark.parametrize("question, lang", [
    ("hvad skriver KKR til statsministeren?", "da"),  # what the letter says, not who wrote it
    ("hvad skriver KKR til beskæftigelsesministeren?", "da"),
    ("hvad sender KKR til ministeren?", "da"),
    ("when was the resultatkontrakt signed?", "en"),
    ("hvornår underskrev Arne Boelt resultatkontrakten?", "da"),
    ("hvad svarede ministeren KKR?", "da"),
])
def test_a_question_about_a_documents_content_or_date_is_left_to_the_knowledge_base(question, lang):
    assert (_confidence(question, lang) or 0) < 0.9


@pytest.mark.parametrize("question, lang", [
    ("hvem skrev til statsministeren?", "da"), ("hvem er afsender af brevet til statsministeren?", "da"),
    ("hvem underskrev for KKR?", "da"), ("hvem skrev under på vegne af KKR?", "da"),
    ("hvad hedder borgmesteren i Frederikshavn?", "da"), ("Hjørring borgmester", "da"), ("mayor of Rebild", "en"),
])
def test_who_questions_about_a_role_stay_sure(question, lang):
    assert _confidence(question, lang) >= 0.93
