"""Style presets for generation: a name (what the CLI takes and the history records), the label a
person reads, and a suffix added to their request before stage 1 refines it. The window
translates the labels (scripts/i18n.py has their Chinese); the suffixes stay English, which the
text model reads best."""

from __future__ import annotations

from dataclasses import dataclass

from ecan.errors import UserFacingError


@dataclass(frozen=True)
class Preset:
    name: str
    label: str
    suffix: str


PRESETS: tuple[Preset, ...] = (
    Preset("flat", "Flat illustration",
           "Style: flat vector illustration, clean shapes, limited palette, no gradients."),
    Preset("clay", "3D clay",
           "Style: 3D clay render, soft studio light, rounded plasticine forms."),
    Preset("pixel", "Pixel art",
           "Style: 64x64 pixel art, crisp pixels, limited retro palette."),
    Preset("watercolour", "Watercolour",
           "Style: loose watercolour painting on textured paper, soft bleeding edges."),
    Preset("anime", "Anime",
           "Style: anime character portrait, cel shading, expressive eyes."),
)
BY_NAME = {p.name: p for p in PRESETS}


def preset(name: str | None) -> Preset | None:
    """The preset called `name` (None: no preset); UserFacingError for an unknown one."""
    if name is None or name == "":
        return None
    found = BY_NAME.get(name)
    if found is None:
        raise UserFacingError("invalid_request", f"There is no style preset {name[:40]!r}.",
                              "Use one of: " + ", ".join(BY_NAME) + ".")
    return found


def styled(request: str, name: str | None) -> str:
    """The request as stage 1 reads it: the user's words, then the preset's style line."""
    chosen = preset(name)
    return request if chosen is None else f"{request}\n\n{chosen.suffix}"
