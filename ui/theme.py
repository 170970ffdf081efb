"""The page's look: a Gradio theme, style sheet, script and Arabic interface words on launch."""

from __future__ import annotations

from typing import Any

import gradio as gr

from ui.assets import CSS, FONT_STACK, HEAD, MONO_STACK
from ui.messages import GRADIO_STRINGS_AR


def make_theme() -> gr.themes.Base:
    """The page theme: teal on white, system Arabic fonts only (nothing fetched from the web)."""
    return gr.themes.Soft(
        primary_hue="teal",
        secondary_hue="amber",
        neutral_hue="slate",
        radius_size="md",
        font=list(FONT_STACK),
        font_mono=list(MONO_STACK),
    ).set(
        body_background_fill="#f3f5f8",
        body_background_fill_dark="#0b1220",
        block_shadow="0 1px 2px rgba(16, 24, 40, .06)",
        button_primary_background_fill="#0b5563",
        button_primary_background_fill_hover="#0d6677",
        button_primary_text_color="#ffffff",
    )


class AkhbarPage(gr.Blocks):
    """`gr.Blocks` whose `launch` defaults to the page's theme, style sheet and script.

    Gradio 6 takes `theme`, `css` and `head` in `launch()` rather than in the constructor;
    this keeps `build_app(akhbar).launch(...)` complete on its own.
    """

    def launch(self, *args: Any, **kwargs: Any) -> Any:
        """Launch with the page's look (explicit keyword arguments win); see `gr.Blocks.launch`."""
        kwargs.setdefault("theme", make_theme())
        kwargs.setdefault("css", CSS)
        kwargs.setdefault("head", HEAD)
        kwargs.setdefault("footer_links", ["api"])
        kwargs.setdefault("i18n", gr.I18n(en=GRADIO_STRINGS_AR, ar=GRADIO_STRINGS_AR))
        kwargs.setdefault("quiet", True)
        return super().launch(*args, **kwargs)
