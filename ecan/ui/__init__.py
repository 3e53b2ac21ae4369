"""The desktop app (Qt Widgets). It reaches data only through the handler layer, via
ecan.bridge; `ecan.ui.launcher` starts it for `ecan gui` and `ecan selftest`."""
