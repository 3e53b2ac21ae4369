"""The in-memory twin of `ImageGenerator` for unit tests: scripted answers, no network."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from ecan.imagegen.port import Usage


@dataclass
class MemoryGenerator:
    """Answers with `image` (and a prompt derived from the request). `fail_analyse` /
    `fail_generate` raise instead; `block` makes a stage wait until the event is set (to test
    cancelling during a stage)."""

    image: bytes
    mime: str = "image/png"
    text_model: str = "memory-text"
    image_model: str = "memory-image"
    fail_analyse: Exception | None = None
    fail_generate: Exception | None = None
    block: threading.Event | None = None
    on_stage: Callable[[str], None] | None = None
    calls: list[tuple[str, str]] = field(default_factory=list)

    def _enter(self, stage: str, text: str) -> None:
        self.calls.append((stage, text))
        if self.on_stage is not None:
            self.on_stage(stage)
        if self.block is not None:
            self.block.wait(10)

    def analyse(self, image: bytes, mime: str, request: str) -> tuple[str, Usage]:
        self._enter("analyse", request)
        if self.fail_analyse is not None:
            raise self.fail_analyse
        return f"Professional portrait: {request}", {"prompt_tokens": 10, "output_tokens": 5}

    def generate(self, image: bytes, mime: str, professional_prompt: str
                 ) -> tuple[bytes, str, Usage]:
        self._enter("generate", professional_prompt)
        if self.fail_generate is not None:
            raise self.fail_generate
        return self.image, self.mime, {"prompt_tokens": 20, "output_tokens": 1290}
