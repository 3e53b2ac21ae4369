"""Qt's side of the handler layer: `ecan.bridge.bridge.Bridge` runs handler calls on a thread pool
and delivers results and "what changed" on the GUI thread; `ecan.bridge.thumbs` loads thumbnails
through the picture decoder process (`ecan.bridge.decoder_process`). This package file imports
no Qt, so the headless layers can be walked."""
