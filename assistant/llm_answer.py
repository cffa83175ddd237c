"""The chat-model answerer: sources with short ids go to an OpenAI-compatible server; what comes back
is checked sentence by sentence before anything is shown.

The prompt lists sources as ``[c-3f9a] file.pdf, page 3`` and asks the model to end every sentence
with the id of its source. A source is one of the chunks that hold the reader's best candidate
passages (``assistant.reader``), cut to those passages with ``EXCERPT_CHARS`` of context on each
side: a small model reads a few short excerpts faster and better than whole chunks. (Without the
reader's candidates, the retrieved chunks are sent whole.) The sources are fitted to the server's
context (its ``/v1/models`` ``max_model_len`` where it says it, else ``llm_context_tokens``).

Whether the pages answer at all is the reader's calibrated decision, taken before the model is
asked; the prompt does not invite the model to refuse (a small model told it may say "the
documents do not say" says it for answerable questions too). A refusal it writes anyway is still
an abstention, and a sentence no source supports is still dropped. While the answer
streams, each complete sentence is verified (``assistant.verify.support``) against every source
it was given:

* a sentence its cited source supports keeps its citation, re-pointed to another source that
  supports it clearly better (``REPOINT_MARGIN``); an uncited sentence is tied to the source that
  supports it best;
* a sentence no source supports (an invented fact, a number that is in no source) is dropped, or
  shown marked, by ``llm_unsupported``;
* a sentence that says the documents do not answer is a refusal.

Each kept citation points at the lines of its source that best support the sentence. An answer
with a refusal and no supported sentence is an abstention; one with no supported sentence at all
is an abstention or the extractive answer with a note (``llm_no_support``). An answer cut off by
the token limit says so. Ids the model was not given are dropped and listed in ``dropped_ids``.
Earlier turns of the conversation are sent along, so follow-ups work.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from assistant.answer import Draft, Request
from assistant.cite import Quote, cite
from assistant.config import AnswerSettings
from assistant.llm import ChatClient, Message
from assistant.markers import MARKER
from assistant.schema import Citation
from assistant.verify import checkable, support
from storage.errors import AppError, ConfigError
from storage.schema import Chunk

log = logging.getLogger(__name__)

SYSTEM_PROMPT = """You answer questions about the user's own documents (photographed manuals, scanned pages).
Use only the sources given with the question. Each source starts with its id in square brackets, then the document and page.
Rules:
- Answer by copying, word for word, the sentences, steps or table rows of the sources that answer the question. End each one with the id of its source in square brackets. Copy the id exactly from the list; never invent one, and never copy a source's header line.
- Copy only what answers the question, and answer every part of it.
- Keep the steps of a procedure in the order the source gives them, one per line."""

CHARS_PER_TOKEN = 3.0  # a cautious estimate (English is ~4, German and code less, Chinese ~1.5)
PROMPT_RESERVE = 64  # tokens of chat-template overhead per message
MIN_SOURCE_CHARS = 200  # a source cut shorter than this to fit the context is left out
MAX_SOURCE_CHARS = 2500
EXCERPT_CHARS = 400  # context kept on each side of a candidate passage in a source: about two lines of a page
EXCERPT_PASSAGES = 2  # candidate passages of one chunk shown in its source, at most
EXCERPT_GAP = "\n...\n"
REPOINT_MARGIN = 0.2  # another source supports a sentence "clearly better" by this much support
MAX_CITED_LINES = 3
UNSUPPORTED_MARK = "[unsupported]"
CUT_OFF_NOTE = "(The answer was cut off: the model reached its length limit.)"
EXTRACTIVE_NOTE = "The model's answer could not be checked against your documents; this passage answers best:"
STRAY_ID = re.compile(r"\[\s*(?:source\s*:?\s*)?(c-[^\]\s,;]{0,30})\s*\]", re.I)  # "[c-xxxx]", "[c-3f9a2b1e...]"
COPIED_HEADER = re.compile(r"^\s*\(?[^\n()\[\]]{0,120}?,\s*page\s+\d+[^\n()]{0,40}\)?\s*$", re.I)
REFUSAL = re.compile(
    r"\b(?:documents?|sources?|manuals?|context|pages?|text)\b[^.\n]{0,40}\b(?:do(?:es)?\s+not|don't|doesn't)\s+"
    r"(?:say|mention|answer|contain|provide|specify|state|include|cover|describe)"
    r"|\bno\s+information\b|\bnot\s+(?:mentioned|specified|stated|provided|covered)\b|\b(?:cannot|can't|unable to)\s+(?:answer|find)\b"
    r"|\b(?:Dokumente|Unterlagen|Quellen)\b[^.\n]{0,40}\b(?:sagen|enthalten|nennen)\s+(?:nichts|nicht|keine)"
    r"|\bnicht\s+(?:angegeben|erwähnt|beschrieben)\b|\bkeine\s+(?:Angabe|Information)"
    r"|未(?:提及|提到|说明)|没有(?:提及|提到|说明|相关)|无法回答",
    re.I,
)
ABBREVIATIONS = frozenset("e.g i.e z.b ca nr no fig vs approx bzw usw u.a d.h min max".split())
END = re.compile(r"\n|[.!?](?=\s)|[。！？]")
ENUMERATED = re.compile(r"\s*(?:step\s+)?\d{1,2}", re.I)
BRACKETED = re.compile(r"\[[^\]\n]{0,60}\]")


class OpenAiAnswerer:
    def __init__(self, client: ChatClient, settings: AnswerSettings | None = None) -> None:
        self.client = client
        self.cfg = settings or AnswerSettings()
        self.name = f"openai:{client.model}"
        self._context: int | None = None

    def context_tokens(self) -> int:
        """The server's context size: from ``/v1/models`` when it says it, else the setting (asked once)."""
        if self._context is None:
            self._context = self.cfg.llm_context_tokens
            try:
                served = {m.name: m.context for m in self.client.served_models()}
            except AppError as exc:
                log.info("cannot read the chat server's context size (%s); using llm_context_tokens", exc)
            else:
                self._context = served.get(self.client.model) or self._context
        return self._context

    def answer(self, request: Request) -> Draft:
        chosen = fit_sources(request, select_sources(request, self.cfg.llm_max_sources), self.context_tokens(), self.client.max_tokens)
        aliases = short_ids([source.chunk.id for source in chosen])
        sources = {aliases[source.chunk.id]: source for source in chosen}
        checker = SentenceChecker(request, sources, self.cfg)
        sentences = SentenceSplitter()
        shown: list[str] = []

        def show(text: str) -> None:
            if text:
                shown.append(text)
                if request.on_text:
                    request.on_text(text)

        def on_delta(delta: str) -> None:
            for sentence in sentences.feed(delta):
                show(checker.check(sentence))

        completion = self.client.complete(messages(request, chosen, aliases), on_delta)
        for sentence in sentences.finish():
            show(checker.check(sentence))
        if checker.supported:
            show(checker.release())  # marked sentences and connectives after the last supported sentence
        counts = dict(checker.counts)
        log.info("verified the model's answer (finish reason %s): %s; it wrote: %r", completion.finish_reason, counts, completion.text[:1500])
        if not checker.supported:
            if checker.refused or self.cfg.llm_no_support == "abstain":
                reason = ("The model said the documents do not answer it." if checker.refused
                          else "The model's answer was not supported by the sources it was given.")
                return Draft(text="", citations=(), dropped_ids=tuple(checker.dropped), abstained=True, note=reason, checks=counts)
            return self._extractive(request, checker, counts)
        if completion.finish_reason == "length":
            counts["cut_off"] = 1
            show(("\n\n" if shown and not shown[-1].endswith("\n") else "\n") + CUT_OFF_NOTE)
        text = re.sub(r"\n{3,}", "\n\n", "".join(shown)).strip()
        return Draft(text=text, citations=tuple(checker.citations), dropped_ids=tuple(checker.dropped), checks=counts)

    def _extractive(self, request: Request, checker: SentenceChecker, counts: dict[str, int]) -> Draft:
        from assistant.extractive import ExtractiveAnswerer

        draft = ExtractiveAnswerer().answer(replace(request, on_text=None))
        text = f"{EXTRACTIVE_NOTE}\n\n{draft.text}"
        if request.on_text:
            request.on_text(text)
        return Draft(text=text, citations=draft.citations, dropped_ids=tuple(checker.dropped), checks={**counts, "extractive": 1})


def build_openai_answerer(cfg: AnswerSettings) -> OpenAiAnswerer:
    if not cfg.llm_base_url or not cfg.llm_model:
        raise ConfigError(
            "FOLIO_ANSWERER=openai needs FOLIO_LLM_BASE_URL (e.g. http://gpu-host:8000/v1) and FOLIO_LLM_MODEL; "
            "or use FOLIO_ANSWERER=extractive"
        )
    key = cfg.llm_api_key.get_secret_value() if cfg.llm_api_key else None
    client = ChatClient(cfg.llm_base_url, cfg.llm_model, api_key=key, timeout=cfg.llm_timeout, deadline=cfg.llm_deadline)
    return OpenAiAnswerer(client, cfg)


def short_ids(chunk_ids: Sequence[str], length: int = 4) -> dict[str, str]:
    """``c-`` plus the shortest hex prefix (at least ``length``) that tells the given chunks apart."""
    hexes = [cid.removeprefix("c-") for cid in chunk_ids]
    for n in range(length, max((len(h) for h in hexes), default=length) + 1):
        prefixes = [h[:n] for h in hexes]
        if len(set(prefixes)) == len(set(hexes)):
            return {cid: "c-" + p for cid, p in zip(chunk_ids, prefixes, strict=True)}
    return {cid: cid for cid in chunk_ids}


def source_header(chunk: Chunk, documents: Mapping[str, str]) -> str:
    """``file.pdf, page 3`` (``pages 3-4`` for a chunk over two pages)."""
    pages = chunk.pages
    where = f"page {pages[0]}" if len(pages) == 1 else f"pages {pages[0]}-{pages[-1]}" if pages else "page ?"
    return f"{documents.get(chunk.doc_id) or chunk.doc_id}, {where}"


@dataclass(frozen=True)
class Source:
    """What the model is shown of one chunk: the character ranges ``spans`` of its text."""

    chunk: Chunk
    spans: tuple[tuple[int, int], ...]

    @classmethod
    def whole(cls, chunk: Chunk) -> Source:
        return cls(chunk, ((0, len(chunk.text)),))

    @property
    def text(self) -> str:
        return EXCERPT_GAP.join(self.chunk.text[a:b].strip() for a, b in self.spans)

    def cut(self, chars: int) -> Source:
        """The first ``chars`` characters of the shown text (about: the gaps are not counted)."""
        spans, left = [], chars
        for a, b in self.spans:
            if left <= 0:
                break
            spans.append((a, min(b, a + left)))
            left -= b - a
        return Source(self.chunk, tuple(spans))


def select_sources(request: Request, limit: int) -> list[Source]:
    """The chunks of the reader's best candidates (at most ``limit``), best first, each cut to its
    best ``EXCERPT_PASSAGES`` candidates with ``EXCERPT_CHARS`` around them, widened to whole lines;
    without candidates, the first ``limit`` hits whole."""
    decision = request.decision
    if decision is None or not decision.candidates:
        return [Source.whole(h.chunk) for h in request.hits[:limit]]
    shown = {h.chunk.id: h.chunk for h in request.hits}
    windows: dict[str, list[tuple[int, int]]] = {}
    for scored in decision.candidates:
        candidate = scored.candidate
        chunk = shown.get(candidate.chunk.id)
        if chunk is None or (chunk.id not in windows and len(windows) >= limit):
            continue
        spans = windows.setdefault(chunk.id, [])
        if len(spans) < EXCERPT_PASSAGES:
            spans.append(_whole_lines(chunk.text, candidate.start - EXCERPT_CHARS, candidate.end + EXCERPT_CHARS))
    return [Source(shown[chunk_id], _merged(spans)) for chunk_id, spans in windows.items()]


def _whole_lines(text: str, start: int, end: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, max(0, start)) + 1 if start > 0 else 0
    end = text.find("\n", min(len(text), max(0, end)))
    return start, len(text) if end < 0 else end


def _merged(spans: Sequence[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(b, out[-1][1]))
        else:
            out.append((a, b))
    return tuple(out)


def fit_sources(request: Request, sources: Sequence[Source], context_tokens: int, max_tokens: int) -> list[Source]:
    """The first ``sources`` whose text fits the context left after the rules, the conversation,
    the question and the answer; the last one may be cut short."""
    fixed = len(SYSTEM_PROMPT) + len(request.question) + sum(len(t.text) for t in request.history) + 40
    budget = int((context_tokens - max_tokens - PROMPT_RESERVE * (len(request.history) + 2)) * CHARS_PER_TOKEN) - fixed
    out: list[Source] = []
    for source in sources:
        source = source.cut(MAX_SOURCE_CHARS)
        cost = len(source.text) + 60
        if cost > budget:
            if budget - 60 >= MIN_SOURCE_CHARS:
                out.append(source.cut(budget - 60))
            break
        out.append(source)
        budget -= cost
    return out


def messages(request: Request, sources: Sequence[Source], aliases: dict[str, str]) -> list[Message]:
    """System rules, the conversation so far, then the sources and the question."""
    out = [Message("system", SYSTEM_PROMPT)]
    out.extend(Message(turn.role, turn.text) for turn in request.history)
    blocks = [f"[{aliases[s.chunk.id]}] {source_header(s.chunk, request.documents)}\n{s.text}" for s in sources]
    text = "\n\n".join(blocks) if blocks else "(no sources)"
    out.append(Message("user", f"Sources:\n\n{text}\n\nQuestion: {request.question}"))
    return out


class SentenceSplitter:
    """Cuts streamed text into complete sentences (or lines), each with the markers that follow it."""

    def __init__(self) -> None:
        self._buffer = ""

    def feed(self, delta: str) -> list[str]:
        self._buffer += delta
        out = []
        while (cut := _split_point(self._buffer)) is not None:
            out.append(self._buffer[:cut])
            self._buffer = self._buffer[cut:]
        return out

    def finish(self) -> list[str]:
        rest, self._buffer = self._buffer, ""
        return [rest] if rest.strip() else []


def _split_point(text: str) -> int | None:
    """The end of the first complete sentence of ``text`` (markers and spaces after it included), or
    None while it cannot be told yet."""
    for end in END.finditer(text):
        if end.group() == "\n":
            return end.end()
        if end.group() == "." and _abbreviation(text[: end.start()]):
            continue
        if ENUMERATED.fullmatch(text[: end.start()].rsplit("\n", 1)[-1]):
            continue  # "2. Remove the cover": the number of a step
        at = end.end()
        while True:
            while at < len(text) and text[at] in " \t":
                at += 1
            if at == len(text):
                return None
            if text[at] == "[":
                close = BRACKETED.match(text, at)
                if close is None:
                    if "]" not in text[at:] and len(text) - at <= 60:
                        return None
                    return at
                at = close.end()
                continue
            return at + 1 if text[at] == "\n" else at
    return None


def _abbreviation(before: str) -> bool:
    word = before.rsplit(None, 1)[-1].lower() if before.split() else ""
    return word in ABBREVIATIONS or (len(word) == 1 and word.isalpha())


@dataclass
class SentenceChecker:
    """Verifies each sentence against the given sources and renders it with numbered citations."""

    request: Request
    sources: dict[str, Source]  # short id -> what the model was shown
    cfg: AnswerSettings
    citations: list[Citation] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: {"sentences": 0, "kept": 0, "repointed": 0, "attributed": 0,
                                                            "unsupported": 0, "refusals": 0})
    _held: list[str] = field(default_factory=list)  # connectives (and marked sentences) shown only before a supported one
    _numbers: dict[tuple[str, int, int], list[int]] = field(default_factory=dict)

    @property
    def supported(self) -> int:
        return self.counts["kept"] + self.counts["repointed"] + self.counts["attributed"]

    @property
    def refused(self) -> bool:
        return self.counts["refusals"] > 0

    def check(self, sentence: str) -> str:
        """The sentence as shown (citations as ``[n]``), "" while held back or when dropped."""
        body = sentence.rstrip()
        trail = "\n" if "\n" in sentence[len(body):] else " " if sentence[len(body):] else ""
        cited = [i.strip().lower() for m in MARKER.finditer(body) for i in re.split(r"[,;]", m.group(1))]
        text = MARKER.sub("", body)
        for stray in STRAY_ID.findall(text):
            self._drop_id(stray.lower())
        text = re.sub(r"[ \t]+([.!?,;:])", r"\1", re.sub(r"[ \t]{2,}", " ", STRAY_ID.sub("", text))).rstrip()
        given = [i for i in dict.fromkeys(cited) if i in self.sources]
        for unknown in (i for i in cited if i not in self.sources):
            self._drop_id(unknown)
        if not text.strip():
            return self._hold(trail if trail == "\n" else "")
        if COPIED_HEADER.match(text) and (cited or re.search(r"\.\w{2,4},", text)):
            return ""  # the model copied a source's header line
        self.counts["sentences"] += 1
        if not checkable(text):
            if REFUSAL.search(text):
                self.counts["refusals"] += 1
                return ""
            return self._hold(text + trail)
        chosen = self._attribute(text, given)
        if not chosen and REFUSAL.search(text):  # "The manual does not say how long the warranty lasts."
            self.counts["refusals"] += 1
            return ""
        if not chosen:
            self.counts["unsupported"] += 1
            log.info("unsupported sentence %s: %r", "marked" if self.cfg.llm_unsupported == "mark" else "dropped", text)
            return self._hold(_with_mark(text, UNSUPPORTED_MARK) + trail) if self.cfg.llm_unsupported == "mark" else ""
        numbers: list[int] = []
        for alias in chosen:
            numbers.extend(n for n in self._cite(self.sources[alias], text) if n not in numbers)
        return self.release() + _with_citations(text, numbers) + trail

    def _attribute(self, text: str, given: list[str]) -> list[str]:
        """The source ids that support ``text`` ([] for none), counting kept, re-pointed and attributed."""
        threshold = self.cfg.llm_support_threshold
        scores = {alias: support(text, _source_text(source), self.request.question) for alias, source in self.sources.items()}
        best = max(scores, key=lambda a: scores[a], default="")
        if not best or scores[best] < threshold or scores[best] <= 0.0:
            return []
        good = [a for a in given if scores[a] >= threshold]
        if good:
            top = max(scores[a] for a in good)
            if best not in good and scores[best] >= top + REPOINT_MARGIN:
                self.counts["repointed"] += 1
                log.info("re-pointed %r from %s to %s (support %.2f -> %.2f)", text, good, best, top, scores[best])
                return [best]
            self.counts["kept"] += 1
            return good
        self.counts["repointed" if given else "attributed"] += 1
        return [best]

    def _hold(self, text: str) -> str:
        if text:
            self._held.append(text)
        return ""

    def release(self) -> str:
        """What was held back, to show now that a supported sentence came."""
        held, self._held = "".join(self._held), []
        return held

    def _drop_id(self, short: str) -> None:
        if short not in self.dropped:
            self.dropped.append(short)
            log.info("the model cited %s, which it was not given; dropped", short)

    def _cite(self, source: Source, sentence: str) -> list[int]:
        chunk = source.chunk
        start, end, text = best_lines(source, sentence, self.request.question)
        key = (chunk.id, start, end)
        if key not in self._numbers:
            groups = cite([Quote(chunk=chunk, start=start, end=end, text=text)], self.request.image_path, first=len(self.citations) + 1)
            self.citations.extend(groups[0])
            self._numbers[key] = [c.n for c in groups[0]]
        return self._numbers[key]


def best_lines(source: Source, sentence: str, question: str = "") -> tuple[int, int, str]:
    """The run of up to ``MAX_CITED_LINES`` lines shown in ``source`` that best supports ``sentence``
    (its first shown part when no line holds any of its content): characters [start, end) of the
    chunk's text, and the text."""
    chunk = source.chunk
    lines = sorted({(r.start, r.end) for r in chunk.refs if r.end > r.start and chunk.text[r.start:r.end].strip()
                    and any(r.start < b and r.end > a for a, b in source.spans)})
    best = (0.0, *source.spans[0]) if source.spans else (0.0, 0, len(chunk.text))
    for i in range(len(lines)):
        for n in range(1, MAX_CITED_LINES + 1):
            if i + n > len(lines):
                break
            start, end = lines[i][0], lines[i + n - 1][1]
            score = support(sentence, chunk.text[start:end], question) - 0.05 * (n - 1)
            if score > best[0] + 1e-9:
                best = (score, start, end)
    _, start, end = best
    return start, end, " ".join(chunk.text[start:end].split())


def _source_text(source: Source) -> str:
    return " ".join(source.chunk.headings) + "\n" + source.text


def _with_citations(text: str, numbers: Sequence[int]) -> str:
    """``text`` with ``[1][2]`` before its closing punctuation."""
    return _with_mark(text, "".join(f"[{n}]" for n in numbers))


def _with_mark(text: str, marks: str) -> str:
    marks = marks.strip()
    end = re.search(r"[.!?。！？:;]+$", text)
    body, punct = (text[: end.start()], end.group()) if end else (text, "")
    return f"{body.rstrip()} {marks}{punct}" if marks else text

