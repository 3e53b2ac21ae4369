"""Small dialog helpers shared by the screens: a confirmation whose safe answer is the default, and
a dialog that grows to fit when a message appears in it."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget


def ask(parent: QWidget | None, title: str, text: str,
        buttons: list[tuple[str, QMessageBox.ButtonRole]], *, default: int,
        informative: str = "", icon: QMessageBox.Icon = QMessageBox.Icon.Question) -> int:
    """Show a modal question with `buttons` (translated text, role) and return the index of
    the one clicked; Esc or closing the box answers the last button (Cancel by convention).
    `default` is what Enter answers: for anything that destroys data, make it Cancel."""
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.NoButton, parent)
    made: list[QPushButton] = [box.addButton(label, role) for label, role in buttons]
    box.setDefaultButton(made[default])
    box.setEscapeButton(made[-1])
    if informative:
        box.setInformativeText(informative)
    box.exec()
    clicked = box.clickedButton()
    box.deleteLater()
    return made.index(clicked) if clicked in made else len(made) - 1  # type: ignore[arg-type]


def confirm_destructive(parent: QWidget | None, title: str, text: str, *, action: str,
                        cancel: str, informative: str = "") -> bool:
    """True when the user clicked `action` ("Delete"); Enter and Esc both mean `cancel`."""
    return ask(parent, title, text, [(action, QMessageBox.ButtonRole.DestructiveRole),
                                     (cancel, QMessageBox.ButtonRole.RejectRole)],
               default=1, informative=informative, icon=QMessageBox.Icon.Warning) == 0


def fit_height(widget: QWidget) -> None:
    """Grow `widget` (a dialog) to the height its layout needs at its current width, and keep
    it from being made shorter. A top-level window does not follow its layout's
    height-for-width, so a wrapped message shown in it would squash the fields above."""
    layout = widget.layout()
    if layout is None:
        return
    layout.activate()
    need = layout.totalHeightForWidth(widget.width())
    if need < 0:
        need = layout.totalSizeHint().height()
    widget.setMinimumHeight(need)
    if widget.height() < need:
        widget.resize(widget.width(), need)
