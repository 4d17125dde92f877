package hub

// SetOnSlow lets the external tests learn when a socket was marked slow.
func SetOnSlow(w *WS, f func()) { w.onSlow = f }
