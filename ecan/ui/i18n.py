"""Languages: English (the source strings) and Simplified Chinese from Qt translation files
(`ecan/assets/translations/ecan_zh_CN.qm`). Follows the system locale unless the user picked one
in Settings; switching applies live (every screen retranslates on QEvent.LanguageChange)."""

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
        if code != "en":
            translator = QTranslator(self._app)
            if translator.load(f"ecan_{code}", str(translations_dir())):
                self._app.installTranslator(translator)
                self._translator = translator
            else:
                code = "en"
        self.current = code
        QLocale.setDefault(QLocale(code))
        return code
