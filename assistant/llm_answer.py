"""The chat-model answerer: sources with short ids go to an OpenAI-compatible server, cited ids come back.

The prompt lists the retrieved chunks as ``[c-3f9a] (file, page) text`` and asks the model to
cite every sentence with those ids. While the answer streams, each marker becomes ``[n]``: the
citation points at the lines of that source that best match the sentence it ends (the whole
chunk when no line matches). Ids the model was not given are dropped from the text and listed in
``dropped_ids``. Earlier turns of the conversation are sent along, so follow-ups work.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from assistant.answer import Draft, Request
from assistant.config import AnswerSettings
from assistant.cite import Quote, cite
from assistant.evidence import Query
from assistant.llm import ChatClient, Message
from assistant.markers import MarkerRewriter
from assistant.schema import Citation
from storage.errors import ConfigError
from storage.schema import Chunk, Hit

log = logging.getLogger(__name__)

SYSTEM_PROMPT = """You answer questions about the user's own documents (photographed manuals, scanned pages).
Use only the sources given with the question. Each source starts with an id in square brackets, like [c-3f9a].
Rules:
- Every sentence or step of your answer ends with the id of the source that supports it, e.g. "Charge the battery first [c-3f9a]." Cite only ids from the list.
- Keep the steps of a procedure in the order the source gives them, one per line.
- Quote commands, values and names exactly as the source writes them.
- If the sources do not answer the question, say that the documents do not say, and nothing else.
- Answer in the language of the question, briefly."""

MAX_SOURCE_CHARS = 2500


class OpenAiAnswerer:
    def __init__(self, client: ChatClient, max_sources: int = 6) -> None:
        self.client = client
        self.max_sources = max_sources
        self.name = f"openai:{client.model}"

    def answer(self, request: Request) -> Draft:
        hits = list(request.hits[: self.max_sources])
        aliases = short_ids([h.chunk.id for h in hits])
        sources = {aliases[h.chunk.id]: h.chunk for h in hits}
        citer = _Citer(request, sources)
        rewriter = MarkerRewriter(citer.resolve)
        shown: list[str] = []

        def on_delta(delta: str) -> None:
            text = rewriter.feed(delta)
            if text:
                shown.append(text)
                if request.on_text:
                    request.on_text(text)

        self.client.chat(messages(request, hits, aliases), on_delta)
        tail = rewriter.finish()
        if tail:
            shown.append(tail)
            if request.on_text:
                request.on_text(tail)
        return Draft(text="".join(shown).strip(), citations=tuple(citer.citations), dropped_ids=tuple(citer.dropped))


def build_openai_answerer(cfg: AnswerSettings) -> OpenAiAnswerer:
    if not cfg.llm_base_url or not cfg.llm_model:
        raise ConfigError(
            "FOLIO_ANSWERER=openai needs FOLIO_LLM_BASE_URL (e.g. http://gpu-host:8000/v1) and FOLIO_LLM_MODEL; "
            "or use FOLIO_ANSWERER=extractive"
        )
    key = cfg.llm_api_key.get_secret_value() if cfg.llm_api_key else None
    client = ChatClient(cfg.llm_base_url, cfg.llm_model, api_key=key, timeout=cfg.llm_timeout)
    return OpenAiAnswerer(client)


def short_ids(chunk_ids: Sequence[str], length: int = 4) -> dict[str, str]:
    """``c-`` plus the shortest hex prefix (at least ``length``) that tells the given chunks apart."""
    hexes = [cid.removeprefix("c-") for cid in chunk_ids]
    for n in range(length, max((len(h) for h in hexes), default=length) + 1):
        prefixes = [h[:n] for h in hexes]
        if len(set(prefixes)) == len(set(hexes)):
            return {cid: "c-" + p for cid, p in zip(chunk_ids, prefixes, strict=True)}
    return {cid: cid for cid in chunk_ids}


def messages(request: Request, hits: Sequence[Hit], aliases: dict[str, str]) -> list[Message]:
    """System rules, the conversation so far, then the sources and the question."""
    out = [Message("system", SYSTEM_PROMPT)]
    out.extend(Message(turn.role, turn.text) for turn in request.history)
    blocks = []
    for hit in hits:
        where = ", ".join(f"page {p}" for p in hit.chunk.pages)
        blocks.append(f"[{aliases[hit.chunk.id]}] ({where})\n{hit.chunk.text[:MAX_SOURCE_CHARS]}")
    sources = "\n\n".join(blocks) if blocks else "(no sources)"
    out.append(Message("user", f"Sources:\n\n{sources}\n\nQuestion: {request.question}"))
    return out


class _Citer:
    """Turns (source id, sentence) into numbered citations of the best-matching lines of that source."""

    def __init__(self, request: Request, sources: dict[str, Chunk]) -> None:
        self.request = request
        self.sources = sources
        self.citations: list[Citation] = []
        self.dropped: list[str] = []
        self._numbers: dict[tuple[str, int, int], list[int]] = {}

    def resolve(self, ids: list[str], sentence: str) -> list[int]:
        numbers: list[int] = []
        for short in ids:
            chunk = self.sources.get(short)
            if chunk is None:
                if short not in self.dropped:
                    self.dropped.append(short)
                log.info("the model cited %s, which it was not given; dropped", short)
                continue
            numbers.extend(n for n in self._cite(chunk, sentence) if n not in numbers)
        return numbers

    def _cite(self, chunk: Chunk, sentence: str) -> list[int]:
        start, end, text = self._best_lines(chunk, sentence)
        key = (chunk.id, start, end)
        if key not in self._numbers:
            groups = cite([Quote(chunk=chunk, start=start, end=end, text=text)], self.request.image_path, first=len(self.citations) + 1)
            self.citations.extend(groups[0])
            self._numbers[key] = [c.n for c in groups[0]]
        return self._numbers[key]

    def _best_lines(self, chunk: Chunk, sentence: str) -> tuple[int, int, str]:
        scorer = self.request.scorer
        query: Query = scorer.query(sentence)
        units = [u for u in scorer.units(chunk) if u.kind != "heading"]
        scored = [(scorer.match(query, u.text), -u.index, u) for u in units]
        if not scored or max(s[0] for s in scored) <= 0.0:
            return 0, len(chunk.text), " ".join(chunk.text.split())
        best = max(scored, key=lambda s: (s[0], s[1]))[2]
        return best.start, best.end, best.text
