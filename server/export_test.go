package server

// CheckEmpty exports checkEmpty to the harness in package server_test.
func CheckEmpty(s *Server) error { return s.checkEmpty() }
