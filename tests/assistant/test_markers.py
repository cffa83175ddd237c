from assistant.markers import MarkerRewriter


def rewrite(pieces: list[str], known: dict[str, int]) -> tuple[str, list[tuple[list[str], str]]]:
    calls: list[tuple[list[str], str]] = []

    def resolve(ids: list[str], sentence: str) -> list[int]:
        calls.append((ids, sentence))
        return [known[i] for i in ids if i in known]

    rewriter = MarkerRewriter(resolve)
    return "".join(rewriter.feed(p) for p in pieces) + rewriter.finish(), calls


def test_markers_split_across_pieces_become_numbers():
    text, calls = rewrite(["Red means charging [c-3f", "9a]. Green means full [c-77b2]."], {"c-3f9a": 1, "c-77b2": 2})
    assert text == "Red means charging [1]. Green means full [2]."
    assert calls == [(["c-3f9a"], "Red means charging"), (["c-77b2"], "Green means full")]


def test_grouped_and_adjacent_markers_and_unknown_ids():
    text, calls = rewrite(["Done [c-3f9a, c-dead][c-77b2]."], {"c-3f9a": 1, "c-77b2": 2})
    assert text == "Done [1][2]."
    assert calls[0][0] == ["c-3f9a", "c-dead"]


def test_a_marker_after_the_full_stop_cites_that_sentence():
    _, calls = rewrite(["First. Second one. [c-3f9a]"], {"c-3f9a": 1})
    assert calls == [(["c-3f9a"], "Second one.")]


def test_brackets_that_are_not_markers_pass_through():
    text, _ = rewrite(["Use [--verbose] or x[", "1] and [c-"], {})
    assert text == "Use [--verbose] or x[1] and [c-"
