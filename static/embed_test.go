package static

import (
	"io/fs"
	"path"
	"regexp"
	"strings"
	"testing"
)

var (
	// src="..." and href="..." in pages.
	htmlRef = regexp.MustCompile(`(?:src|href)="([^"]+)"`)
	// import ... from './x.js' and import './x.js' in modules.
	jsImport = regexp.MustCompile(`(?m)^\s*import\s+(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]`)
	// Page names a module links to, like `organiser.html?t=...`.
	jsPage = regexp.MustCompile(`[\x60'"]([a-z]+\.html)`)
)

// local reports whether ref names a file of ours (not a fragment, an absolute URL or an API path).
func local(ref string) bool {
	if ref == "" || strings.HasPrefix(ref, "#") || strings.Contains(ref, "://") ||
		strings.HasPrefix(ref, "/") || strings.HasPrefix(ref, "mailto:") {
		return false
	}
	return true
}

func clean(dir, ref string) string {
	if i := strings.IndexAny(ref, "?#"); i >= 0 {
		ref = ref[:i]
	}
	return path.Clean(path.Join(dir, ref))
}

func TestReferencedFilesExist(t *testing.T) {
	t.Parallel()
	var pages, modules []string
	err := fs.WalkDir(FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch path.Ext(p) {
		case ".html":
			pages = append(pages, p)
		case ".js":
			modules = append(modules, p)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk embedded files: %v", err)
	}
	for _, want := range []string{"index.html", "organiser.html", "player.html", "spectator.html", "css/style.css",
		"js/client.js", "js/state.js", "js/bracket.js"} {
		if _, err := fs.Stat(FS, want); err != nil {
			t.Errorf("embedded FS lacks %s: %v", want, err)
		}
	}
	check := func(from, ref string) {
		t.Helper()
		if !local(ref) {
			return
		}
		p := clean(path.Dir(from), ref)
		if p == "." {
			return
		}
		if _, err := fs.Stat(FS, p); err != nil {
			t.Errorf("%s refers to %q, which is not embedded (%s)", from, ref, p)
		}
	}
	for _, p := range pages {
		b, err := fs.ReadFile(FS, p)
		if err != nil {
			t.Fatal(err)
		}
		refs := htmlRef.FindAllStringSubmatch(string(b), -1)
		if len(refs) == 0 {
			t.Errorf("%s refers to nothing; want at least its stylesheet and module", p)
		}
		for _, m := range refs {
			check(p, m[1])
		}
	}
	for _, p := range modules {
		b, err := fs.ReadFile(FS, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range jsImport.FindAllStringSubmatch(string(b), -1) {
			if !strings.HasPrefix(m[1], "./") && !strings.HasPrefix(m[1], "../") {
				t.Errorf("%s imports %q: only relative module paths work without a build step", p, m[1])
				continue
			}
			check(p, m[1])
		}
		for _, m := range jsPage.FindAllStringSubmatch(string(b), -1) {
			check(".", m[1]) // pages are linked from the site root
		}
	}
}

func TestNoExternalResources(t *testing.T) {
	t.Parallel()
	// The hub runs offline and behind strict networks: no CDN, no remote fonts or scripts.
	err := fs.WalkDir(FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(FS, p)
		if err != nil {
			return err
		}
		for _, bad := range []string{`src="http`, `href="http`, `from 'http`, `from "http`, `@import url(http`} {
			if strings.Contains(string(b), bad) {
				t.Errorf("%s loads a remote resource (%s...)", p, bad)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
