package client

import (
	"math/rand/v2"
	"time"
)

// backoff returns how long to wait before reconnect attempt number attempt
// (0 for the first): a random duration between min and min·2^attempt,
// capped at max. The randomness ("full jitter" above a floor) spreads the
// reconnects of a whole room after a server restart; the floor means a
// client never spins, however unlucky its draws.
func backoff(attempt int, min, max time.Duration) time.Duration {
	if max < min {
		max = min
	}
	ceil := max
	if attempt < 32 {
		if d := min << attempt; d > 0 && d < max {
			ceil = d
		}
	}
	if ceil <= min {
		return min
	}
	return min + rand.N(ceil-min+1)
}
