"""Municipality names as people type them resolve to the 11 canonical names."""
import pytest

from services.municipalities import ALL, resolve


def test_all_eleven():
    assert len(ALL) == 11 and "Hjørring" in ALL and "Læsø" in ALL


@pytest.mark.parametrize("text,expected", [
    ("Hjørrings andel", ["Hjørring"]),
    ("hjorring kommune", ["Hjørring"]),
    ("Fredrikshavn", ["Frederikshavn"]),
    ("Vesthimmerlands Kommunes bidrag", ["Vesthimmerland"]),
    ("Vesthimmerland", ["Vesthimmerland"]),
    ("Bronderslev og Morsø", ["Brønderslev", "Morsø"]),
    ("Laeso", ["Læsø"]),
    ("Ålborg", ["Aalborg"]),
    ("Aalborg's share", ["Aalborg"]),
    ("Mariagerf jord", ["Mariagerfjord"]),
    ("how much does rebild pay", ["Rebild"]),
    ("Thisteds og Jammerbugts", ["Thisted", "Jammerbugt"]),
])
def test_resolve(text, expected):
    assert resolve(text) == expected


@pytest.mark.parametrize("text", ["Odense", "jeg vil læse om det", "Region Nordjylland", "rebuild the list"])
def test_no_false_municipality(text):
    assert resolve(text) == []
