package server

// recentPrivate is how many private messages per session the server
// remembers by cid, to recognise one sent again after a reconnect. A
// person has far fewer private messages unconfirmed at once; the ring
// costs a session at most 512 bytes.
const recentPrivate = 64

// deliveredPrivate reports whether cid named one of the session's recent
// private messages. The caller holds s.mu, which guards the ring.
func (ss *session) deliveredPrivate(cid string) bool {
	h := cidHash(cid)
	for _, x := range ss.priv {
		if x == h {
			return true
		}
	}
	return false
}

// rememberPrivate records that the private message cid was delivered,
// forgetting the oldest once recentPrivate are held. The caller holds
// s.mu.
func (ss *session) rememberPrivate(cid string) {
	h := cidHash(cid)
	if len(ss.priv) < recentPrivate {
		ss.priv = append(ss.priv, h)
		return
	}
	ss.priv[ss.privNext] = h
	ss.privNext = (ss.privNext + 1) % recentPrivate
}
