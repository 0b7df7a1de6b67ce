package server

// testHooks are steps a test injects into the server's own goroutines to
// force an interleaving that timing alone would reach only now and then.
// A production server has none (Server.hooks is nil), and each hook is one
// nil check where it sits.
type testHooks struct {
	// beforePark runs on the reader just before it hands its peer to the
	// epoll set (park_linux.go): a test can close the connection there,
	// as a grace timer or a failed write would.
	beforePark func(p *peer)
}
