from assistant.keyword import KeywordIndex
from assistant.retrieve import FusionSettings, fuse
from storage.schema import Hit
from tests.assistant.builders import make_chunk

BATTERY = make_chunk("manual", 10, ["When the battery is fully charged, the green LED will be lit."])
NRPE = make_chunk("guide", 6, ["Compile the NRPE addon:", "# make all", "# make install-config"])
GERMAN = make_chunk("handbuch", 5, ["Nach der Installation des Treiberpakets muss der Rechner neu gestartet werden."])
OTHER = make_chunk("paper", 1, ["Ssdeep calculates the edit distance between digests."])


def test_bm25_finds_stemmed_words_and_filters_by_document():
    index = KeywordIndex([BATTERY, NRPE, GERMAN, OTHER])
    assert [h.chunk.id for h in index.search("charging batteries", 5)] == [BATTERY.id]
    assert [h.chunk.id for h in index.search("install config", 5)] == [NRPE.id]
    assert index.search("install config", 5, doc_ids={"manual"}) == []
    assert index.search("the and of", 5) == []  # only stop words


def test_bm25_matches_german_compound_parts():
    paket = make_chunk("handbuch", 2, ["Das Paket enthält den Treiber."])
    index = KeywordIndex([GERMAN, paket, OTHER])
    hits = index.search("Wann muss man den Rechner neu starten?", 5)
    assert hits[0].chunk.id == GERMAN.id
    assert GERMAN.id in [h.chunk.id for h in index.search("Paket", 5)]


def test_rrf_rewards_agreement_and_keeps_each_retrievers_scores():
    index = KeywordIndex([BATTERY, NRPE, GERMAN, OTHER])
    dense = [Hit(chunk=NRPE, score=0.8), Hit(chunk=BATTERY, score=0.7), Hit(chunk=OTHER, score=0.6)]
    keyword = index.search("battery charged green", 5)
    ranked = fuse(dense, keyword, FusionSettings(rrf_k=60))
    assert ranked[0].chunk.id == BATTERY.id  # 2nd dense + 1st keyword beats 1st dense alone
    assert ranked[0].dense == 0.7 and ranked[0].keyword > 0 and ranked[0].keyword_rank == 0
    assert ranked[1].chunk.id == NRPE.id and ranked[1].keyword == 0.0
    assert all(0.0 <= r.score <= 1.0 for r in ranked)


def test_fusion_weights_decide_between_the_retrievers():
    index = KeywordIndex([BATTERY, NRPE])
    dense = [Hit(chunk=NRPE, score=0.8), Hit(chunk=BATTERY, score=0.7)]
    keyword = index.search("battery", 5)
    assert fuse(dense, keyword, FusionSettings(rrf_k=1, keyword_weight=3))[0].chunk.id == BATTERY.id
    assert fuse(dense, keyword, FusionSettings(rrf_k=1, dense_weight=3))[0].chunk.id == NRPE.id


GUARDED_RUN = """
import socket, sys
attempts = []
def refuse(*args, **kwargs):
    attempts.append(args)
    raise OSError("network is off in this test")
socket.socket.connect = refuse
socket.getaddrinfo = refuse
from assistant.keyword import KeywordIndex
from tests.assistant.builders import make_chunk
index = KeywordIndex([make_chunk("d", 1, ["Der Treiber wird installiert."]), make_chunk("e", 1, ["读卡器的固件更新"])])
assert index.search("Treiber", 3) and index.search("固件", 3)
print("attempts:", len(attempts))
"""


def test_keyword_search_imports_and_runs_with_the_network_refused():
    """llama-index, bm25s, PyStemmer and jieba load nothing from the network (no NLTK or tiktoken downloads)."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).parents[2]
    done = subprocess.run([sys.executable, "-c", GUARDED_RUN], cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "attempts: 0" in done.stdout
