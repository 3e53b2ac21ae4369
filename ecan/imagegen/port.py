"""The image-generation port: what the generation service needs from a model provider. The
google-genai adapter (`gemini.py`) and the in-memory twin (`memory.py`) implement it."""

from __future__ import annotations

from typing import Protocol, TypedDict


class Usage(TypedDict):
    """Tokens one model call consumed, as the provider reports them (0 when it does not)."""

    prompt_tokens: int
    output_tokens: int


class ImageGenerator(Protocol):
    """Two stages. Both raise UserFacingError (codes `gemini_*`) for anything a user can act
    on; neither ever puts the API key into a message."""

    text_model: str
    image_model: str

    def analyse(self, image: bytes, mime: str, request: str) -> tuple[str, Usage]:
        """Look at the photo and the user's request (any language); return a professional
        prompt for the image model."""
        ...

    def generate(self, image: bytes, mime: str, professional_prompt: str
                 ) -> tuple[bytes, str, Usage]:
        """Draw the photo anew following the prompt; return (image bytes, mime type, usage).
        The bytes are untrusted: the caller validates them like an upload."""
        ...
