package ws

// SetOnSlow lets the external tests learn when a socket was marked slow.
func SetOnSlow(w *Server, f func()) { w.onSlow = f }
