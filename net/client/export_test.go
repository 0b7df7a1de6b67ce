package client

import "time"

// WithStableAfter returns cfg with the time a connection must last for
// the next drop to start the backoff over set to d, so that a test need
// not hold a connection for the real 10 seconds.
func WithStableAfter(cfg Config, d time.Duration) Config {
	cfg.stableAfter = d
	return cfg
}
