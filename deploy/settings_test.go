package deploy

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"
)

// hubSettings returns the environment variables the hub reads, taken from cmd/hub/config.go
// itself: every setting is registered there by one call add(flag, variable, usage, value). A
// setting whose usage starts with "removed" is left out: the hub refuses it at start.
func hubSettings(t *testing.T) map[string]bool {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "../cmd/hub/config.go", nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatalf("parse cmd/hub/config.go: %v", err)
	}
	settings := make(map[string]bool)
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) < 3 {
			return true
		}
		if fn, ok := call.Fun.(*ast.Ident); !ok || fn.Name != "add" {
			return true
		}
		name, ok1 := stringLit(call.Args[1])
		usage, ok2 := stringLit(call.Args[2])
		if ok1 && ok2 && !strings.HasPrefix(usage, "removed") {
			settings[name] = true
		}
		return true
	})
	// A change to how config.go registers settings must not leave this check with nothing to
	// check against.
	for _, want := range []string{"HUB_ADDR", "REDIS_URL", "HUB_REDIS_CLUSTER", "HUB_SECRET", "HUB_TRUSTED_PROXIES", "HUB_DRAIN_TIMEOUT"} {
		if !settings[want] {
			t.Fatalf("cmd/hub/config.go: found no add(..., %q, ...) among %d settings; has the way settings are registered changed?", want, len(settings))
		}
	}
	if settings["HUB_TRUST_PROXY"] {
		t.Fatal("cmd/hub/config.go: HUB_TRUST_PROXY counted as a setting; the hub refuses it")
	}
	return settings
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// checkSettings reports every name that is not a hub setting: the hub ignores an unknown
// variable, so a misspelt one would silently leave its setting at the default.
func checkSettings(t *testing.T, settings map[string]bool, where string, names []string) {
	t.Helper()
	for _, name := range names {
		if !settings[name] {
			t.Errorf("%s: %s is not a hub setting (cmd/hub/config.go); the hub would ignore it", where, name)
		}
	}
}
