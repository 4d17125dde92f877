package match

import (
	"reflect"
	"testing"
	"time"
)

// TestSameMetaKnowsEveryField: sameMeta tells apart two tournaments that differ in any one of
// their own fields (any exported field but the version, participants and matches, and any field of
// the settings, retention included), and takes a shallow copy as the same. A field added to
// Tournament or Settings fails it until sameMeta compares it.
func TestSameMetaKnowsEveryField(t *testing.T) {
	at := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	a := Tournament{ID: "t1", Name: "n", Description: "d", Status: StatusRunning, LastPlayer: 4, Round: 1, Stage: 1,
		Qualifiers: []PlayerID{1, 2}, StartedAt: at, RoundStartedAt: at, Note: "x",
		Settings: Settings{Format: Swiss, BestOf: 3, MaxPlayers: 8, Points: &Points{Win: 1}, TieBreaks: []TieBreak{Buchholz},
			ScheduledStart: &at, Playoff: &Playoff{Format: SingleElimination, Advance: 4}}}
	if b := a; !sameMeta(&a, &b) {
		t.Fatal("sameMeta: a shallow copy differs")
	}
	skip := map[string]bool{"Version": true, "Participants": true, "Matches": true}
	var walk func(path string, v reflect.Value, b *Tournament)
	walk = func(path string, v reflect.Value, b *Tournament) {
		for i := range v.NumField() {
			f, fv := v.Type().Field(i), v.Field(i)
			if !f.IsExported() || skip[path+f.Name] {
				continue
			}
			if fv.Kind() == reflect.Struct && f.Type != reflect.TypeFor[time.Time]() {
				walk(path+f.Name+".", fv, b)
				continue
			}
			old := reflect.New(f.Type).Elem()
			old.Set(fv)
			changeValue(fv)
			if sameMeta(&a, b) {
				t.Errorf("sameMeta: tournaments that differ in %s%s are the same", path, f.Name)
			}
			fv.Set(old)
			if !sameMeta(&a, b) {
				t.Fatalf("sameMeta: %s%s put back, still different", path, f.Name)
			}
		}
	}
	b := a
	walk("", reflect.ValueOf(&b).Elem(), &b)
}

// changeValue gives v another value of its type: a scalar another value, a slice or pointer
// another one (with the same contents: sameMeta compares them by identity).
func changeValue(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + "x")
	case reflect.Int, reflect.Int64:
		v.SetInt(v.Int() + 1)
	case reflect.Uint64:
		v.SetUint(v.Uint() + 1)
	case reflect.Float64:
		v.SetFloat(v.Float() + 1)
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Slice:
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(c, v)
		v.Set(c)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		if !v.IsNil() {
			p.Elem().Set(v.Elem())
		}
		v.Set(p)
	case reflect.Struct: // time.Time
		v.Set(reflect.ValueOf(v.Interface().(time.Time).Add(time.Second)))
	default:
		panic("changeValue: kind " + v.Kind().String())
	}
}
