"""The chat page's settings."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ServerSettings(BaseModel):
    """The chat page."""

    host: str = Field(default="127.0.0.1", description="Address the page listens on.")
    port: int = Field(default=7860, ge=1, le=65535, description="Port the page listens on.")
    auth: str = Field(
        default="", description="`user:password` to require a login (Gradio auth); empty: none."
    )
    max_upload_mb: float = Field(default=10.0, gt=0, description="Largest uploaded file.")
    max_upload_files: int = Field(default=20, ge=1, description="Most files per upload.")
    reuse: bool = Field(
        default=True,
        description="`akhbar ask` answers through a running `akhbar serve` of the same index and "
        "settings (model and index already loaded) when one is up; false: always in-process.",
    )
