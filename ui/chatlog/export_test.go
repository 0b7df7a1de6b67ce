package chatlog

// This file gives the external tests (package chatlog_test) a look inside
// a Log. It is compiled only with the tests.

// Pending reports how many own messages wait for their echo.
func (l *Log) Pending() int { return len(l.pending) }
