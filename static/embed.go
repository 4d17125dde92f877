// Package static holds the browser client (plain HTML, CSS and ES modules, no build step), embedded
// into the hub binary so that one file serves the API, the sockets and the pages.
package static

import "embed"

// FS holds the pages, scripts and styles; the server serves it at /.
//
//go:embed *.html *.svg css js
var FS embed.FS
