"""The chat page's style sheet and script (right-to-left layout, citation clicks); no web fonts."""

from __future__ import annotations

FONT_STACK = (
    "Noto Naskh Arabic",
    "Noto Sans Arabic",
    "Segoe UI",
    "Tahoma",
    "Geeza Pro",
    "Arial",
    "sans-serif",
)
MONO_STACK = ("ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace")

# Rules for the page as a whole, put in <head> as they are: Gradio scopes the `css` rules under
# its app container, which cannot reach <html>, the container's own padding or <body class=dark>.
PAGE_CSS = """
html, body { direction: rtl; }
:root {
  --akhbar-ink: #16202c;
  --akhbar-muted: #5b6676;
  --akhbar-line: #dfe3ea;
  --akhbar-paper: #ffffff;
  --akhbar-soft: #f5f7fa;
  --akhbar-brand: #0b5563;
  --akhbar-brand-soft: #e3f1f3;
  --akhbar-accent: #b4531a;
  --akhbar-mark: #ffe38a;
  --akhbar-mark-ink: #1b1300;
}
.dark {
  --akhbar-ink: #e7ebf0;
  --akhbar-muted: #a3adbb;
  --akhbar-line: #334155;
  --akhbar-paper: #111827;
  --akhbar-soft: #1b2432;
  --akhbar-brand: #5fb6c4;
  --akhbar-brand-soft: #163640;
}
.gradio-container {
  direction: rtl;
  text-align: right;
  max-width: 1280px !important;
  width: 100% !important;
  margin: 0 auto !important;
}
.gradio-container, .gradio-container button, .gradio-container input, .gradio-container textarea {
  font-family: var(--font) !important;
}
/* Gradio marks every block dir="ltr" unless told otherwise: the whole page reads right to left. */
.gradio-container [dir="ltr"]:not(.akhbar-docid):not(code) { direction: rtl; }
@media (max-width: 900px) {
  .gradio-container .main { padding-left: 10px !important; padding-right: 10px !important; }
}
"""

CSS = """
/* Text from articles and users: let each paragraph pick its own direction (mixed Arabic/Latin). */
.akhbar-text, .akhbar-passage, .akhbar-article-text, .akhbar-title, .akhbar-section,
.akhbar-turn-q, #akhbar-question textarea, .akhbar-docs td {
  unicode-bidi: plaintext;
}
#akhbar-question textarea {
  direction: rtl; text-align: right; font-size: 1.05rem; min-height: 46px; padding: 10px 14px;
  border: 1px solid var(--akhbar-line); border-radius: 12px; background: var(--akhbar-paper);
}
#akhbar-question textarea:focus { border-color: var(--akhbar-brand); outline: none;
  box-shadow: 0 0 0 3px var(--akhbar-brand-soft); }

/* Header */
.akhbar-header { display: flex; gap: 14px; align-items: center; padding: 6px 2px 2px; }
.akhbar-logo {
  flex: none; width: 46px; height: 46px; border-radius: 12px; display: grid; place-items: center;
  background: var(--akhbar-brand); color: #fff; font-size: 26px; font-weight: 700;
}
.akhbar-h1 { margin: 0 !important; font-size: 1.55rem !important; font-weight: 700;
  color: var(--akhbar-ink); }
.akhbar-sub { margin: 2px 0 0 !important; color: var(--akhbar-muted); font-size: .95rem; }

/* Chat */
#akhbar-chat { border-radius: 14px; }
#akhbar-chat .message.bot { background: var(--akhbar-paper) !important;
  border: 1px solid var(--akhbar-line) !important;
  padding: 8px 14px !important; box-shadow: 0 1px 2px rgba(16, 24, 40, .05); }
#akhbar-chat .message.user { background: var(--akhbar-brand-soft) !important;
  border: 0 !important; padding: 6px 14px !important; }
#akhbar-chat .message.bot:has(.akhbar-notfound), #akhbar-chat .message.bot:has(.akhbar-error) {
  background: transparent !important; border: 0 !important; padding: 0 !important;
  box-shadow: none; }
/* The chat's own tool buttons sit on the left, away from the user's (right-hand) bubbles. */
#akhbar-chat .icon-button-wrapper.top-panel { right: auto !important; left: 6px !important; }
#akhbar-chat button.example {
  border: 1px solid var(--akhbar-line); border-radius: 12px; background: var(--akhbar-soft);
  padding: 10px 14px; text-align: right; direction: rtl; line-height: 1.8;
}
#akhbar-chat button.example:hover {
  border-color: var(--akhbar-brand); background: var(--akhbar-paper);
}
.akhbar-welcome { text-align: center; color: var(--akhbar-muted); line-height: 2; }
.akhbar-welcome strong { color: var(--akhbar-ink); font-size: 1.15rem; }
#akhbar-chat .message-content, #akhbar-chat .md { direction: rtl; text-align: right; }
#akhbar-chat .bot, #akhbar-chat [data-testid="bot"] { line-height: 1.9; }
.akhbar-msg { font-size: 1.02rem; line-height: 1.95; }
.akhbar-text { margin: 0 !important; white-space: pre-wrap; }
.akhbar-found .akhbar-text { color: var(--akhbar-ink); }
.akhbar-short { margin: 0 0 .35rem !important; font-weight: 700; font-size: 1.12rem;
  color: var(--akhbar-ink); unicode-bidi: plaintext; }
a.akhbar-cite {
  display: inline-block; margin: 0 2px; padding: 0 6px; border-radius: 6px; line-height: 1.5;
  background: var(--akhbar-brand-soft); color: var(--akhbar-brand) !important; font-weight: 700;
  text-decoration: none !important; font-size: .85em; vertical-align: 1px; cursor: pointer;
}
a.akhbar-cite:hover, a.akhbar-cite:focus { background: var(--akhbar-brand);
  color: #fff !important; }
.akhbar-chips { list-style: none; margin: 10px 0 0 !important; padding: 8px 0 0 !important;
  border-top: 1px dashed var(--akhbar-line); display: flex; flex-wrap: wrap; gap: 6px; }
.akhbar-chips li { margin: 0 !important; padding: 0 !important; max-width: 100%; min-width: 0; }
.akhbar-chips li::before { content: none !important; }
a.akhbar-chip {
  display: inline-flex; gap: 6px; align-items: center; max-width: min(100%, 40ch);
  padding: 2px 4px 2px 10px;
  background: var(--akhbar-soft); color: var(--akhbar-ink) !important;
  border: 1px solid var(--akhbar-line);
  font-weight: 500; font-size: .85rem; border-radius: 999px; vertical-align: 0;
}
a.akhbar-chip > span[dir] { overflow: hidden; text-overflow: ellipsis; white-space: nowrap;
  min-width: 0; }
.akhbar-num {
  display: inline-grid; place-items: center; min-width: 1.6em; height: 1.6em;
  border-radius: 999px;
  background: var(--akhbar-brand); color: #fff; font-size: .8rem; font-weight: 700; flex: none;
}
.akhbar-notfound {
  display: flex; gap: 10px; align-items: flex-start; padding: 10px 12px; border-radius: 10px;
  border: 1px dashed #c7ced8; background: var(--akhbar-soft); color: var(--akhbar-muted);
}
.akhbar-notfound-title { margin: 0 !important; font-weight: 700; color: var(--akhbar-ink); }
.akhbar-notfound .akhbar-text { color: var(--akhbar-muted); }
.akhbar-error {
  display: flex; gap: 10px; align-items: flex-start; padding: 10px 12px; border-radius: 10px;
  border: 1px solid #f1c4b5; background: #fff4ef; color: #8a2c0d;
}
.dark .akhbar-error { background: #3a1d12; border-color: #7a3a22; color: #ffcfbd; }
.akhbar-icon {
  flex: none; display: inline-grid; place-items: center; width: 1.6rem; height: 1.6rem;
  margin-top: .2rem;
  border-radius: 999px; border: 2px solid currentColor; font-weight: 700; font-size: .95rem;
  line-height: 1;
}
.akhbar-pending { color: var(--akhbar-muted); }
.akhbar-dots::after { content: "●●●"; letter-spacing: 2px; margin-left: 8px; font-size: .7rem;
  animation: akhbar-blink 1.2s infinite; }
.akhbar-cursor::after { content: "▍"; color: var(--akhbar-brand);
  animation: akhbar-blink 1s infinite; }
@keyframes akhbar-blink { 50% { opacity: .25; } }
#akhbar-ask-row { align-items: stretch; gap: 8px; }
#akhbar-send { min-height: 46px; font-weight: 700; }
#akhbar-actions { justify-content: space-between; align-items: center; }
#akhbar-clear { max-width: 180px; }
.akhbar-hint { color: var(--akhbar-muted); font-size: .85rem; margin: 0; }

/* Sources panel */
#akhbar-sources-col { position: sticky; top: 8px; align-self: flex-start; }
#akhbar-sources {
  background: var(--akhbar-paper); border: 1px solid var(--akhbar-line); border-radius: 14px;
  padding: 12px 14px; max-height: calc(100vh - 40px); overflow-y: auto; direction: rtl;
}
.akhbar-panel-title { font-size: 1.1rem !important; margin: 0 0 8px !important;
  color: var(--akhbar-ink);
  display: flex; align-items: center; gap: 8px; }
.akhbar-panel-title::before { content: ""; width: 4px; height: 1.1em; border-radius: 2px;
  background: var(--akhbar-accent); }
.akhbar-muted { color: var(--akhbar-muted); font-size: .92rem; line-height: 1.8; }
.akhbar-turn-q { color: var(--akhbar-muted); font-size: .9rem; margin: 0 0 8px !important;
  padding-bottom: 6px; border-bottom: 1px solid var(--akhbar-line); }
.akhbar-q-label { font-weight: 700; }
.akhbar-source { border: 1px solid var(--akhbar-line); border-radius: 10px; margin: 0 0 8px;
  background: var(--akhbar-paper); scroll-margin-top: 12px;
  transition: box-shadow .2s, border-color .2s; }
.akhbar-source.akhbar-active { border-color: var(--akhbar-brand);
  box-shadow: 0 0 0 3px var(--akhbar-brand-soft); }
.akhbar-source > details > summary {
  display: flex; gap: 10px; align-items: flex-start; padding: 9px 10px; cursor: pointer;
  list-style: none;
}
.akhbar-source > details > summary::-webkit-details-marker { display: none; }
.akhbar-source-head { display: flex; flex-direction: column; gap: 2px; min-width: 0; }
.akhbar-title { font-weight: 700; color: var(--akhbar-ink); line-height: 1.6; }
.akhbar-section { color: var(--akhbar-muted); font-size: .85rem; }
.akhbar-source-body { padding: 0 12px 10px; }
.akhbar-passage {
  margin: 0 0 6px !important; padding: 8px 12px !important; border: 0 !important;
  border-inline-start: 4px solid var(--akhbar-brand) !important; background: var(--akhbar-soft);
  border-radius: 6px; white-space: pre-wrap; line-height: 1.95; color: var(--akhbar-ink);
  font-style: normal;
}
mark.akhbar-answer { background: var(--akhbar-mark); color: var(--akhbar-mark-ink);
  padding: 1px 2px; border-radius: 3px; }
.akhbar-docid { font-family: var(--font-mono); font-size: .75rem; color: var(--akhbar-muted);
  direction: ltr; text-align: left; unicode-bidi: isolate; }
details.akhbar-article { margin-top: 6px; }
details.akhbar-article > summary { cursor: pointer; color: var(--akhbar-brand);
  font-weight: 600; font-size: .9rem; }
.akhbar-article-text {
  margin-top: 6px; max-height: 45vh; overflow-y: auto; white-space: pre-wrap; line-height: 1.95;
  padding: 10px 12px; border: 1px solid var(--akhbar-line); border-radius: 8px; font-size: .95rem;
  color: var(--akhbar-ink); background: var(--akhbar-paper);
}
.akhbar-in-article { background: var(--akhbar-brand-soft); border-radius: 3px; }

/* Index tab */
.akhbar-stats { display: grid; grid-template-columns: repeat(auto-fit, minmax(110px, 1fr));
  gap: 10px; margin-bottom: 12px; }
.akhbar-stat-model { grid-column: 1 / -1; }
.akhbar-upload-rules code { font-size: .8rem; padding: 1px 5px; border-radius: 4px;
  background: var(--akhbar-soft);
  border: 1px solid var(--akhbar-line); unicode-bidi: isolate; }
.akhbar-stat { border: 1px solid var(--akhbar-line); border-radius: 10px; padding: 10px 12px;
  background: var(--akhbar-paper); }
.akhbar-stat-label { display: block; color: var(--akhbar-muted); font-size: .85rem; }
.akhbar-stat-value { display: block; font-weight: 700; font-size: 1.05rem;
  color: var(--akhbar-ink); overflow-wrap: anywhere; }
table.akhbar-docs thead, table.akhbar-docs tbody, table.akhbar-docs tr { border: 0 !important; }
table.akhbar-docs { width: 100%; border-collapse: collapse; font-size: .92rem;
  border: 0 !important;
  background: var(--akhbar-paper); border-radius: 10px; overflow: hidden; }
table.akhbar-docs th, table.akhbar-docs td { text-align: right; padding: 8px 10px !important;
  border: 0 !important;
  border-bottom: 1px solid var(--akhbar-line) !important; vertical-align: top; }
table.akhbar-docs td.akhbar-docid { text-align: left; width: 1%; white-space: nowrap; }
table.akhbar-docs th { color: var(--akhbar-muted); font-weight: 600; }
.akhbar-upload-summary .akhbar-group h4 { margin: 8px 0 2px !important; font-size: .95rem; }
.akhbar-upload-summary ul { margin: 0 !important; padding-inline-start: 20px !important; }
.akhbar-upload-head { font-weight: 700; margin: 4px 0 !important; }
.akhbar-added h4 { color: #17703a; }
.akhbar-replaced h4 { color: var(--akhbar-brand); }
.akhbar-skipped h4, .akhbar-rejected h4 { color: #9a3412; }

@media (max-width: 900px) {
  #akhbar-sources-col { position: static; }
  #akhbar-sources { max-height: none; }
  .akhbar-h1 { font-size: 1.25rem !important; }
  .akhbar-sub { font-size: .85rem; }
  .akhbar-logo { width: 38px; height: 38px; font-size: 21px; }
  #akhbar-hint { display: none; }
  #akhbar-clear { max-width: none; }
}
#akhbar-chat, #akhbar-sources, .akhbar-msg { max-width: 100%; overflow-wrap: anywhere; }
"""

HEAD = (
    """
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>"""
    + PAGE_CSS
    + """</style>
<script>
(function () {
  "use strict";
  function rtl() {
    var h = document.documentElement;
    if (h.getAttribute("dir") !== "rtl") { h.setAttribute("dir", "rtl"); }
    if (h.getAttribute("lang") !== "ar") { h.setAttribute("lang", "ar"); }
  }
  rtl();
  new MutationObserver(rtl).observe(document.documentElement, {
    attributes: true, attributeFilter: ["dir", "lang"]
  });
  var ANCHOR = /^#akhbar-src-(\\d+)-(\\d+)$/;
  function openSource(turn, n) {
    var panel = document.getElementById("akhbar-sources");
    var el = document.getElementById("akhbar-src-" + turn + "-" + n);
    if (!panel || !el) { return false; }
    panel.querySelectorAll("section.akhbar-turn").forEach(function (s) {
      s.hidden = s.getAttribute("data-turn") !== String(turn);
    });
    panel.querySelectorAll(".akhbar-source.akhbar-active").forEach(function (s) {
      s.classList.remove("akhbar-active");
    });
    el.classList.add("akhbar-active");
    var d = el.querySelector("details.akhbar-source-details");
    if (d) { d.open = true; }
    var narrow = window.matchMedia("(max-width: 900px)").matches;
    el.scrollIntoView({ behavior: "smooth", block: narrow ? "start" : "nearest" });
    return true;
  }
  document.addEventListener("click", function (ev) {
    var t = ev.target;
    var a = t && t.closest ? t.closest("a.akhbar-cite") : null;
    if (!a) { return; }
    var m = ANCHOR.exec(a.getAttribute("href") || "");
    if (!m) { return; }
    ev.preventDefault();
    ev.stopPropagation();
    openSource(m[1], m[2]);
  }, true);
  document.addEventListener("toggle", function (ev) {
    var d = ev.target;
    if (!d || !d.classList || !d.classList.contains("akhbar-article") || !d.open) { return; }
    var box = d.querySelector(".akhbar-article-text");
    var p = d.querySelector(".akhbar-in-article");
    if (box && p) { box.scrollTop = Math.max(0, p.offsetTop - box.offsetTop - 24); }
  }, true);
  window.akhbarOpenSource = openSource;
})();
</script>
"""
)
