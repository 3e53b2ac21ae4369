"""Languages: English (the source strings, plus `ecan_en.qm` for their plural forms: "%n
avatar(s)" -> "1 avatar") and Simplified Chinese (`ecan_zh_CN.qm`), from Qt translation files in
ecan/assets/translations. Follows the system locale unless the user picked one in Settings;
switching applies live (every screen retranslates on QEvent.LanguageChange)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLocale, QTranslator

from ecan.ui.resources import translations_dir

LANGUAGES = {"en": "English", "zh_CN": "简体中文"}


def resolve(choice: str) -> str:
    """"" (follow the system) or a code -> the code actually used."""
    if choice in LANGUAGES:
        return choice
    name = QLocale.system().name()
    return "zh_CN" if name.startswith("zh") else "en"


class Languages:
    """Owns the installed translator so it can be swapped at run time."""

    def __init__(self, app: QCoreApplication) -> None:
        self._app = app
        self._translator: QTranslator | None = None
        self.current = "en"

    def apply(self, choice: str) -> str:
        code = resolve(choice)
        if self._translator is not None:
            self._app.removeTranslator(self._translator)
            self._translator = None
        for attempt in dict.fromkeys((code, "en")):
            translator = QTranslator(self._app)
            if translator.load(f"ecan_{attempt}", str(translations_dir())):
                self._app.installTranslator(translator)
                self._translator = translator
                break
            translator.deleteLater()
        code = attempt if self._translator is not None else "en"
        self.current = code
        QLocale.setDefault(QLocale(code))
        return code
