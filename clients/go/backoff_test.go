package wagate

import (
	"testing"
	"time"
)

func TestBackoffGrowsToItsCap(t *testing.T) {
	b := Backoff{Initial: 100 * time.Millisecond, Max: time.Second, Multiplier: 2}
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i, w := range want {
		if got := b.delay(i); got != w*time.Millisecond {
			t.Errorf("delay(%d) = %v, want %v", i, got, w*time.Millisecond)
		}
	}
	b.Jitter = 0.5
	for i := range 50 {
		if got := b.delay(i % 6); got < 50*time.Millisecond || got > 1500*time.Millisecond {
			t.Fatalf("jittered delay %v out of bounds", got)
		}
	}
}
