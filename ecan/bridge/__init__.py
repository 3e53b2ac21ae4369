"""Qt's side of the handler layer and of the window's helper processes: `bridge.Bridge` runs
handler calls on a thread pool and delivers results and what changed (Changes, by id) on the
GUI thread; `ops` is the window's one typed function per action on top of it;
`sync_process.SyncProcess` is the window's handle on its sync process; `thumbs` loads
thumbnails through the picture decoder (`decoder_process`, whose Qt-free service is
`decode_service`); `supervisor` starts and keeps both helpers. This package file imports no
Qt, so the headless layers can be walked."""
