"""The answering chain (LangChain runnables): history-aware question → hybrid retrieval → answer.

The answer is extractive (no LLM) by default. With a chat model configured (`AKHBAR_LLM__BACKEND`),
follow-ups are rewritten into standalone questions by the model, the answer is generated from the
top passages and streamed, every sentence's citation is checked (`qa.citecheck`), and any
failure (backend down, too slow, nothing supported) falls back to the extractive answer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable, RunnableGenerator, RunnableLambda

from index.arabic import terms
from qa.answer import Answer, Citation
from qa.citecheck import CitationChecker, renumber
from qa.config import AnswerSettings, LLMSettings
from qa.dialect import to_standard
from qa.extractive import (
    NOT_FOUND_AR,
    NOT_FOUND_EN,
    CachedEncoder,
    Extraction,
    ExtractiveAnswerer,
    Span,
    asks_typed,
    load_config,
)
from qa.llm import (
    LLMError,
    answer_messages,
    clean_rewrite,
    make_chat_model,
    prepare,
    rewrite_messages,
    stream_text,
    token_limit,
)
from qa.question import Question, Turn, analyse, parse_history, validate
from qa.retriever import Hit, Searcher

log = logging.getLogger(__name__)


def not_found_text(question: Question) -> str:
    """What akhbar says when the sources do not answer, in the question's language."""
    return NOT_FOUND_EN if question.latin else NOT_FOUND_AR


# A short answer is a name, number, date or place: a few words, not a clause.
_SHORT_WORDS = 12


def _short_answer(question: Question, text: str, span: Span, shown: tuple[int, int]) -> str:
    """The span a typed question asks for, to show before the answer's clause ("" if none).

    Args:
        question: The analysed question.
        text: The cited passage.
        span: The chosen span (its focus, and the name given earlier in the passage if any).
        shown: The part of the passage the answer shows.

    Returns:
        The name, number, date or place as written in the passage, or "".
    """
    if not asks_typed(question):
        return ""
    part = span.lead or span.focus
    if part is None or part == shown:
        return ""
    words = text[part[0] : part[1]].strip(" ،,.؛:-–—")
    readable = any(ch.isalnum() for ch in words)
    return words if readable and len(words.split()) <= _SHORT_WORDS else ""


@dataclass
class _State:
    question: Question
    hits: list[Hit] = field(default_factory=list)
    query_vector: Any = None
    started: float = 0.0
    exclude: tuple[str, ...] = ()
    history: list[tuple[str, str]] = field(default_factory=list)
    standalone: str = ""
    llm_error: str = ""


class AnswerEngine:
    """Answers questions over the index: generated and checked with a chat model, else extractive."""

    def __init__(
        self,
        searcher: Searcher,
        answer: AnswerSettings | None = None,
        llm: LLMSettings | None = None,
        chat_model: BaseChatModel | None = None,
    ) -> None:
        """Wire the chain (cheap: no model is loaded here).

        Args:
            searcher: Hybrid search over the index (its settings give the retrieval depth).
            answer: Question limits and the answerer's confidence threshold.
            llm: The chat-model backend (`extractive` for none).
            chat_model: A chat model to use instead of the one `llm` chooses.
        """
        self.searcher = searcher
        self.answer_settings = answer or AnswerSettings()
        self.llm_settings = llm or LLMSettings()
        self.answerer = ExtractiveAnswerer(
            load_config(min_confidence=self.answer_settings.min_confidence)
        )
        self._encode_units = CachedEncoder(searcher.embeddings.encode_passages)
        self.checker = CitationChecker(self._encode_units)
        self.llm_unavailable = ""
        self.chat_model = chat_model
        if chat_model is None:
            try:
                self.chat_model = make_chat_model(self.llm_settings)
            except LLMError as exc:
                self.llm_unavailable = str(exc)
                log.error("LLM backend %r unavailable: %s", self.llm_settings.backend, exc)
        self.chain: Runnable[dict[str, Any], Answer] = (
            RunnableLambda(self._prepare, name="question")
            | RunnableLambda(self._retrieve, name="retrieve")
            | RunnableGenerator(self._answer_stream, name="answer")
        )

    def _prepare(self, inputs: dict[str, Any]) -> _State:
        max_chars = self.answer_settings.max_question_chars
        text = validate(inputs.get("question", ""), max_chars)
        turns = parse_history(inputs.get("history") or [])
        return _State(
            question=analyse(text, turns),
            started=time.perf_counter(),
            exclude=tuple(inputs.get("exclude_docs") or ()),
            history=[(t.question, t.answer) for t in turns],
        )

    @property
    def generating(self) -> bool:
        """Whether answers are meant to be generated (a chat model is configured)."""
        return self.chat_model is not None or bool(self.llm_unavailable)

    def _rewrite(self, state: _State) -> str:
        """The follow-up as a standalone question, rewritten by the chat model."""
        assert self.chat_model is not None
        q = state.question
        text = "".join(
            stream_text(
                self.chat_model,
                rewrite_messages(q.text, state.history),
                self.llm_settings.timeout_s,
                **token_limit(64),
            )
        )
        rewritten = clean_rewrite(text, q.text, self.answer_settings.max_question_chars)
        if rewritten is None:
            log.warning("unusable follow-up rewrite %r; using the question as asked", text[:200])
            return f"{q.text} {state.history[-1][0]}"
        log.info("follow-up %r rewritten as %r", q.text, rewritten)
        return rewritten

    def _search(self, state: _State, query: str) -> None:
        q = state.question
        state.query_vector = self.searcher.encode_query(query)
        # Word matching also looks for the counted noun's other number («مقعدا» / «مقاعد»).
        lexical_query = q.lexical_query if query == q.retrieval_query else None
        k = max(self.searcher.settings.k, self.answerer.config.passages_latin if q.latin else 0)
        hits = self.searcher.search(
            query,
            k=k,
            query_vector=state.query_vector,
            exclude_docs=state.exclude,
            lexical_query=lexical_query,
        )
        cited = [d for d in q.cited_docs if d not in state.exclude]
        if q.followup and not cited and q.topic_question:
            # A plain [question, answer] history: the article the earlier question is answered
            # from stands in for its citation.
            earlier = self.searcher.search(q.topic_question, k=1, exclude_docs=state.exclude)
            cited = [h.doc_id for h in earlier]
            state.question = q = replace(q, cited_docs=tuple(cited))
        if q.followup and cited:
            # A follow-up looks first in the articles the conversation has cited.
            first = self.searcher.search_within(
                query,
                cited,
                k=self.answerer.config.cited_passages,
                query_vector=state.query_vector,
                lexical_query=lexical_query,
            )
            # A follow-up asking about something the cited passages do not hold («وماذا قال عن
            # التعليم المهني؟» after «من هو وزير التربية؟») also looks outside them: the best
            # other passage for its own words comes next (the conversation's words, in the
            # query above, pull towards what was cited; the ranker still weighs them).
            # It must still be about the conversation's subject: it holds one of the two rarest
            # words of the topic's questions (not «التقى» found in any article with a meeting).
            lacking = query == q.retrieval_query and set(q.terms) - set(
                terms(" ".join(h.text for h in first))
            )
            if lacking:
                idf = self.searcher.snapshot().lexical.idf
                subject = sorted(set(terms(q.topic_question)), key=idf, reverse=True)[:2]
                first += [
                    h
                    for h in self.searcher.search(
                        to_standard(q.text), k=1, exclude_docs=[*state.exclude, *cited]
                    )
                    if set(subject) & set(terms(f"{h.title} {h.text}"))
                ]
            seen = {h.chunk_id for h in first}
            hits = first + [h for h in hits if h.chunk_id not in seen]
        state.hits = hits

    def _retrieve(self, state: _State) -> _State:
        q = state.question
        self.searcher.snapshot()  # a missing or mismatched index fails before the model loads
        state.standalone = q.retrieval_query
        if self.chat_model is not None:
            state.standalone = q.text
            try:
                prepare(self.chat_model)  # e.g. the local server loads its model on first use
            except LLMError as exc:
                state.llm_error = str(exc)
                state.standalone = q.retrieval_query
            if state.history and not state.llm_error:
                try:
                    state.standalone = self._rewrite(state)
                except LLMError as exc:
                    state.llm_error = str(exc)
                    state.standalone = q.retrieval_query
        self._search(state, state.standalone)
        return state

    def _decide(self, state: _State) -> Extraction:
        snapshot = self.searcher.snapshot()
        return self.answerer.extract(
            state.question,
            state.hits,
            state.query_vector,
            self._encode_units,
            snapshot.lexical.idf,
        )

    def _answer_stream(self, states: Iterator[_State]) -> Iterator[Answer]:
        for state in states:
            yield from self._answers(state)

    def _answers(self, state: _State) -> Iterator[Answer]:
        if not self.generating:
            yield from self._extractive(state)
            return
        reason = state.llm_error or self.llm_unavailable
        if reason:
            log.warning("chat model unavailable (%s); giving the extractive answer", reason)
            yield from self._fallback(state, reason)
            return
        yield from self._generated(state)

    def _fallback(self, state: _State, reason: str) -> Iterator[Answer]:
        """The extractive answer, with its own retrieval, marked `mode: fallback` with the reason."""
        if state.standalone != state.question.retrieval_query:
            self._search(state, state.question.retrieval_query)
        for answer in self._extractive(state, mode="fallback"):
            answer.reason = reason
            yield answer

    def _generated(self, state: _State) -> Iterator[Answer]:
        """Generate from the top passages, stream it, then keep only cited, supported sentences."""
        assert self.chat_model is not None
        q = state.question
        llm = self.llm_settings
        hits = state.hits[: llm.passages]
        base = Answer(
            question=q.text,
            answer="",
            found=True,
            mode="generated",
            standalone_question=state.standalone,
        )
        if not hits:
            base.found = False
            base.answer = not_found_text(q)
            base.seconds = time.perf_counter() - state.started
            yield base
            return
        text = ""
        try:
            for piece in stream_text(
                self.chat_model, answer_messages(state.standalone, hits), llm.timeout_s
            ):
                text += piece
                base.answer = text.strip()
                yield replace(base)
        except LLMError as exc:
            log.warning("%s; giving the extractive answer", exc)
            yield from self._fallback(state, str(exc))
            return
        result = self.checker.check(text, hits, idf=self.searcher.snapshot().lexical.idf)
        base.check = result.summary()
        dropped = len(result.sentences) - len(result.kept)
        if dropped:
            log.info("citation check dropped %d of %d sentences", dropped, len(result.sentences))
        if result.refusal:
            base.found = False
            base.answer = not_found_text(q)
            base.seconds = time.perf_counter() - state.started
            yield base
            return
        if not result.kept:
            log.warning(
                "no sentence of the generated answer is supported by its citations (%r); "
                "giving the extractive answer",
                text[:200],
            )
            reason = "no sentence of the generated answer is supported by the passage it cites"
            for answer in self._fallback(state, reason):
                answer.check = base.check
                yield answer
            return
        body, cited = renumber(result)
        base.answer = body
        base.citations = [Citation.from_hit(new, hits[old - 1], span) for new, old, span in cited]
        base.seconds = time.perf_counter() - state.started
        yield base

    def _extractive(self, state: _State, mode: str = "extractive") -> Iterator[Answer]:
        q = state.question
        result = self._decide(state)
        base = Answer(
            question=q.text,
            answer="",
            found=result.found,
            standalone_question=q.retrieval_query,
            mode=mode,
        )
        if not result.found:
            base.answer = not_found_text(q)
            # The closest passages, so that the reader can check for themselves.
            base.closest = [
                Citation.from_hit(n, hit, None) for n, hit in enumerate(state.hits[:3], start=1)
            ]
            titles = list(dict.fromkeys(f"«{c.title}»" for c in base.closest if c.title))
            if titles:
                lead = "Closest passages: " if q.latin else "أقرب ما وجدته: "
                base.answer = f"{base.answer} {lead}{'، '.join(titles)}."
            base.seconds = time.perf_counter() - state.started
            yield base
            return
        citations: list[Citation] = []
        parts = []
        for span in result.spans:
            hit = state.hits[span.hit_index]
            n = len(citations) + 1
            shown = span.answer or (span.start, span.end)
            focus = span.focus or shown
            citations.append(Citation.from_hit(n, hit, focus))
            body = hit.text[shown[0] : shown[1]]
            if span.lead is not None:
                body = f"{hit.text[span.lead[0] : span.lead[1]]} — {body}"
            parts.append((body, n))
            if n == 1:
                base.short_answer = _short_answer(q, hit.text, span, shown)
        base.citations = citations
        # Stream word by word so that the page shows progress the same way for all backends.
        text_so_far = ""
        for body, n in parts:
            for word in body.split(" "):
                text_so_far = f"{text_so_far} {word}" if text_so_far else word
                base.answer = text_so_far
                yield replace(base)
            text_so_far = f"{text_so_far} [{n}]"
        base.answer = text_so_far
        base.seconds = time.perf_counter() - state.started
        yield base

    def ask(
        self,
        question: str,
        history: Sequence[Sequence[Any] | dict[str, Any] | Turn] | None = None,
        exclude_docs: Sequence[str] = (),
    ) -> Answer:
        """Answer one question.

        Args:
            question: The question.
            history: Earlier turns: [question, answer] pairs, optionally with a third item
                (or a `citations` key) listing what that answer cited (doc ids or citation
                objects); a follow-up looks in those articles first.
            exclude_docs: Articles not to use (for measuring refusals).

        Returns:
            The final answer.

        Raises:
            QuestionError: The question or history is not acceptable.
        """
        final: Answer | None = None
        for partial in self.stream(question, history, exclude_docs):
            final = partial
        assert final is not None
        return final

    def stream(
        self,
        question: str,
        history: Sequence[Sequence[Any] | dict[str, Any] | Turn] | None = None,
        exclude_docs: Sequence[str] = (),
    ) -> Iterator[Answer]:
        """Answer one question, yielding the answer as it grows (the last one is final).

        Args:
            question: The question.
            history: Earlier turns: [question, answer] pairs, optionally with a third item
                (or a `citations` key) listing what that answer cited (doc ids or citation
                objects); a follow-up looks in those articles first.
            exclude_docs: Articles not to use.

        Yields:
            The answer so far.
        """
        yield from self.chain.stream(
            {"question": question, "history": history, "exclude_docs": list(exclude_docs)}
        )
