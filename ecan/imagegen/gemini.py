"""The google-genai adapter of `ImageGenerator`: stage 1 asks a text model for a professional
prompt, stage 2 asks an image model for the picture. Every provider failure becomes a
UserFacingError naming the setting to fix; the API key never appears in a message or log."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ecan.config import GeminiConfig
from ecan.errors import UserFacingError
from ecan.imagegen.port import Usage

if TYPE_CHECKING:
    from google.genai import Client

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com/"
# The SDK retries these (and connection errors / timeouts) itself, with backoff.
RETRY_STATUS = [408, 429, 500, 502, 503, 504]
BLOCKING_FINISH = {"SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "IMAGE_SAFETY",
                   "IMAGE_PROHIBITED_CONTENT", "RECITATION", "IMAGE_RECITATION"}

ANALYSE_INSTRUCTION = (
    "You write prompts for an image model that edits portrait photos. Look at the photo and "
    "the user's request (it may be in any language). Write one detailed English prompt that "
    "keeps the person's face and identity, and describes clothing, setting, lighting, camera "
    "and style as the request asks, suitable for a profile avatar. Answer with the prompt "
    "only, no preamble.")


class GeminiGenerator:
    """`ImageGenerator` over the real google-genai client (`GEMINI_BASE_URL` points it at any
    compatible endpoint, such as the tests' fake server)."""

    def __init__(self, config: GeminiConfig, *, retry_attempts: int = 3,
                 retry_initial_delay_s: float = 1.0, proxy: str = "") -> None:
        if not config.api_key:
            raise no_key_error()
        self.text_model = config.text_model
        self.image_model = config.image_model
        self._config = config
        self._proxy = proxy  # "": httpx honours HTTPS_PROXY / NO_PROXY by itself
        self._retry_attempts = retry_attempts
        self._retry_initial_delay_s = retry_initial_delay_s
        self._client: Client | None = None

    def _get_client(self) -> Client:
        if self._client is None:
            from google import genai
            from google.genai import types

            proxied: dict[str, Any] = {}
            if self._proxy:
                proxied = {"client_args": {"proxy": self._proxy},
                           "async_client_args": {"proxy": self._proxy}}
            self._client = genai.Client(
                api_key=self._config.api_key,
                http_options=types.HttpOptions(
                    **proxied,
                    base_url=self._config.base_url or DEFAULT_BASE_URL,
                    timeout=int(self._config.timeout_s * 1000),
                    retry_options=types.HttpRetryOptions(
                        attempts=self._retry_attempts,
                        initial_delay=self._retry_initial_delay_s,
                        max_delay=max(self._retry_initial_delay_s * 8, 1.0),
                        http_status_codes=RETRY_STATUS)))
        return self._client

    def analyse(self, image: bytes, mime: str, request: str) -> tuple[str, Usage]:
        from google.genai import types

        response = self._call(self.text_model, "TEXT_MODEL", [
            types.Part.from_bytes(data=image, mime_type=mime),
            f"The user's request: {request}",
        ], types.GenerateContentConfig(system_instruction=ANALYSE_INSTRUCTION))
        parts = _parts(response, self.text_model)
        text = "".join(p.text for p in parts if getattr(p, "text", None) and not p.thought).strip()
        if not text:
            raise UserFacingError(
                "gemini_no_text", f"The text model {self.text_model} returned no prompt.",
                "Try again, or rephrase the request; set GEMINI.TEXT_MODEL to another model "
                "if it keeps happening.")
        return text, _usage(response)

    def generate(self, image: bytes, mime: str, professional_prompt: str
                 ) -> tuple[bytes, str, Usage]:
        from google.genai import types

        response = self._call(self.image_model, "IMAGE_MODEL", [
            types.Part.from_bytes(data=image, mime_type=mime), professional_prompt,
        ], types.GenerateContentConfig(response_modalities=["IMAGE"]))
        for part in _parts(response, self.image_model):
            blob = getattr(part, "inline_data", None)
            if blob is not None and blob.data:
                return bytes(blob.data), blob.mime_type or "", _usage(response)
        raise UserFacingError(
            "gemini_no_image", f"The image model {self.image_model} answered without an image.",
            "Try again or rephrase the request; check GEMINI.IMAGE_MODEL names a model that "
            "can generate images (e.g. gemini-2.5-flash-image).")

    def _call(self, model: str, setting: str, contents: list[Any], config: Any) -> Any:
        from google.genai import errors
        from pydantic import ValidationError

        timeout, connect, http_error = (_http_errors("TimeoutException"),
                                        _http_errors("ConnectError", "NetworkError"),
                                        _http_errors("HTTPError"))
        broken: tuple[type[BaseException], ...] = (*http_error, ValueError, KeyError,
                                                   TypeError, ValidationError)

        try:
            return self._get_client().models.generate_content(
                model=model, contents=contents, config=config)
        except errors.APIError as e:
            raise self._api_error(e, model, setting) from None
        except timeout:
            raise UserFacingError(
                "gemini_timeout",
                f"Gemini ({model}) did not answer within {self._config.timeout_s:g} s.",
                "Try again later, or raise GEMINI.TIMEOUT_S in auth_config.yml.") from None
        except connect as e:
            where = self._config.base_url or DEFAULT_BASE_URL
            log.warning("gemini unreachable at %s: %s", where, type(e).__name__)
            raise UserFacingError(
                "gemini_unreachable", f"Gemini at {where} cannot be reached.",
                "Check the network connection" + (" and GEMINI_BASE_URL."
                                                  if self._config.base_url else ".")) from None
        except broken as e:
            # A truncated or malformed answer (json.JSONDecodeError is a ValueError).
            log.warning("gemini %s: bad response (%s)", model, type(e).__name__)
            raise UserFacingError(
                "gemini_bad_response", f"Gemini ({model}) sent a broken or incomplete answer.",
                "Try again; if it keeps happening, check GEMINI_BASE_URL points at the "
                "Gemini API.") from None

    def _api_error(self, e: Any, model: str, setting: str) -> UserFacingError:
        code = int(getattr(e, "code", 0) or 0)
        text = redact(f"{getattr(e, 'status', '')} {getattr(e, 'message', '')} "
                      f"{getattr(e, 'details', '')}", self._config.api_key)
        log.warning("gemini %s answered %s: %s", model, code, text[:300])
        if code in (401, 403) or "API_KEY_INVALID" in text or "API key not valid" in text:
            return UserFacingError(
                "gemini_key_invalid", "The Gemini API refused the key in GEMINI_API_KEY.",
                "Set GEMINI_API_KEY to a valid key (Google AI Studio -> Get API key) and "
                "check it is allowed to use the Gemini API.")
        if code == 429:
            return UserFacingError(
                "gemini_quota", f"The Gemini quota is exhausted ({model}, HTTP 429, "
                                "still refused after retries).",
                "Wait and try again later, or raise the quota / billing plan of the key in "
                "GEMINI_API_KEY.")
        if code == 404:
            return UserFacingError(
                "gemini_model_not_found", f"Gemini does not know the model {model!r}.",
                f"Set GEMINI.{setting} in auth_config.yml to an available model.")
        if code >= 500 or code == 408:
            return UserFacingError(
                "gemini_unavailable", f"Gemini ({model}) failed with HTTP {code} after retries.",
                "The service is having trouble; try again in a few minutes.")
        message = redact(str(getattr(e, "message", "") or ""), self._config.api_key)[:300]
        return UserFacingError(
            "gemini_refused", f"Gemini ({model}) refused the request (HTTP {code}): {message}",
            "Check the photo and the request; try a different wording.")


def _http_errors(*names: str) -> tuple[type[BaseException], ...]:
    """Exception classes of whichever HTTP library the SDK uses (httpx, or its fork httpx2)."""
    import importlib

    found: list[type[BaseException]] = []
    for module_name in ("httpx", "httpx2"):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        found.extend(getattr(module, n) for n in names if hasattr(module, n))
    return tuple(found)


def _parts(response: Any, model: str) -> list[Any]:
    feedback = getattr(response, "prompt_feedback", None)
    block = getattr(feedback, "block_reason", None) if feedback is not None else None
    if block:
        raise blocked_error(model, _name(block))
    candidates = getattr(response, "candidates", None) or []
    if not candidates:
        raise UserFacingError(
            "gemini_bad_response", f"Gemini ({model}) answered with no candidates.",
            "Try again; if it keeps happening, check GEMINI_BASE_URL.")
    first = candidates[0]
    finish = _name(getattr(first, "finish_reason", None))
    content = getattr(first, "content", None)
    parts = list(getattr(content, "parts", None) or [])
    if finish in BLOCKING_FINISH and not any(getattr(p, "inline_data", None) for p in parts):
        raise blocked_error(model, finish)
    return parts


def _name(value: Any) -> str:
    return str(getattr(value, "value", value) or "")


def blocked_error(model: str, reason: str) -> UserFacingError:
    return UserFacingError(
        "gemini_blocked", f"Gemini ({model}) blocked the request for safety ({reason}).",
        "Rephrase the request or use another photo; nothing was generated.")


def _usage(response: Any) -> Usage:
    meta = getattr(response, "usage_metadata", None)
    return {"prompt_tokens": int(getattr(meta, "prompt_token_count", 0) or 0),
            "output_tokens": int(getattr(meta, "candidates_token_count", 0) or 0)}


def no_key_error() -> UserFacingError:
    return UserFacingError(
        "gemini_no_key", "No Gemini API key: GEMINI_API_KEY is not set.",
        "Enter a key from Google AI Studio in Settings > Image generation (kept in the system "
        "keyring), or set the GEMINI_API_KEY environment variable, then try again.")


def redact(text: str, secret: str) -> str:
    return text.replace(secret, "[redacted]") if secret else text
