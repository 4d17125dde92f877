package store_test

import (
	"testing"

	"github.com/tourhub/tourhub/hub/store"
)

// TestCursorString: a cursor survives its encoding, and anything a hub did not give out is
// refused rather than read as some position.
func TestCursorString(t *testing.T) {
	t.Parallel()
	for _, c := range []store.Cursor{{CreatedMs: 1767225600123, ID: "t_9f2c1a"}, {CreatedMs: 0, ID: "t.with.dots"}} {
		got, err := store.ParseCursor(c.String())
		if err != nil || got != c {
			t.Errorf("ParseCursor(%q) = %+v, %v; want %+v", c.String(), got, err, c)
		}
	}
	if got, err := store.ParseCursor(""); err != nil || !got.IsZero() {
		t.Errorf(`ParseCursor("") = %+v, %v; want the zero cursor`, got, err)
	}
	for _, bad := range []string{"abc!", "bm90LWEtY3Vyc29y" /* not-a-cursor */, "MTIz" /* 123 */, "MTIzLg" /* 123. */, "LTEudF94" /* -1.t_x */, string(make([]byte, 300))} {
		if got, err := store.ParseCursor(bad); err == nil {
			t.Errorf("ParseCursor(%q) = %+v; want an error", bad, got)
		}
	}
}
