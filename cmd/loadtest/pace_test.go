package main

import (
	"context"
	"testing"
	"time"
)

// TestPacerNewRateAppliesAtOnce: a pacer slowed to one permit a minute hands out permits quickly
// once its rate is raised, without the backlog a token bucket's waiters would keep.
func TestPacerNewRateAppliesAtOnce(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p := newPacer(ctx, 1.0/60)
	if err := p.wait(ctx); err != nil { // the first permit is immediate
		t.Fatal(err)
	}
	p.set(10000)
	for i := 0; i < 50; i++ {
		if err := p.wait(ctx); err != nil {
			t.Fatalf("permit %d after raising the rate: %v", i, err)
		}
	}
}
