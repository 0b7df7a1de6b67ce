package server

import (
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"parley/net/client"
	"parley/net/password"
	"parley/net/wire"
)

// docLimitsHeader starts every limits table in docs/SECURITY.md.
const docLimitsHeader = "| limit | name | flag | default | when exceeded |"

// TestSecurityDocLimits checks docs/SECURITY.md's limits tables against
// the code: each row's default against Config's effective defaults or the
// named constant, each flag against flags.go, and every Config field must
// have a row. So the document cannot drift from the code.
func TestSecurityDocLimits(t *testing.T) {
	doc, err := os.ReadFile("../docs/SECURITY.md")
	if err != nil {
		t.Fatal(err)
	}
	mainGo, err := os.ReadFile("../flags.go") // the command line's flags
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{}.withDefaults()
	s := New(Config{})
	// Limits that are not settings, by the name the document gives them.
	fixed := map[string]any{
		"maxBadFrames":               maxBadFrames,
		"controlRule.rate":           controlRule.rate,
		"controlRule.burst":          int(controlRule.burst),
		"maxFragments":               maxFragments,
		"wire.MaxNick":               wire.MaxNick,
		"wire.MaxClientID":           wire.MaxClientID,
		"historyBytes":               historyBytes,
		"recentCIDs":                 recentCIDs,
		"maxSessions":                maxSessions,
		"recentPrivate":              recentPrivate,
		"maxSanctions":               maxSanctions,
		"client.MaxPendingPrivate":   client.MaxPendingPrivate,
		"sessionTTL":                 sessionTTL,
		"closeGrace":                 closeGrace,
		"lingerTime":                 lingerTime,
		"refuseWait":                 refuseWait,
		"maxRefusing":                maxRefusing,
		"maxLockout":                 maxLockout,
		"maxGuessAddrs":              maxGuessAddrs,
		"passTimeout":                passTimeout,
		"password.MaxPassword":       password.MaxPassword,
		"http.Server.MaxHeaderBytes": s.hs.MaxHeaderBytes,
		"http.Server.IdleTimeout":    s.hs.IdleTimeout,
		"client.DefaultReadLimit":    client.DefaultReadLimit,
		"client.DefaultOutboxLimit":  client.DefaultOutboxLimit,
		"client.DefaultPongTimeout":  client.DefaultPongTimeout,
		"client.DefaultMaxBackoff":   client.DefaultMaxBackoff,
	}
	// Config fields that are not limits.
	notLimits := map[string]bool{"Room": true, "Version": true, "Logger": true,
		"DataDir": true, "TLS": true, "AllowPlain": true, "OnListen": true, "Store": true,
		"Password": true, "HostKey": true} // see "Room password" in SECURITY.md // see "Encryption" in SECURITY.md

	seen := map[string]bool{}
	inTable := false
	for i, line := range strings.Split(string(doc), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == docLimitsHeader:
			inTable = true
			continue
		case !strings.HasPrefix(line, "|"):
			inTable = false
			continue
		case !inTable || strings.HasPrefix(line, "|---"):
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) != 5 {
			t.Errorf("SECURITY.md:%d: %d cells, want 5: %s", i+1, len(cells), line)
			continue
		}
		for j := range cells {
			cells[j] = strings.TrimSpace(cells[j])
		}
		name := strings.Trim(cells[1], "`")
		flag, def := cells[2], cells[3]
		seen[name] = true
		var want any
		if f := reflect.ValueOf(cfg).FieldByName(name); f.IsValid() {
			want = f.Interface()
		} else if v, ok := fixed[name]; ok {
			want = v
		} else {
			t.Errorf("SECURITY.md:%d: %q is neither a Config field nor a limit this test knows", i+1, name)
			continue
		}
		if err := matchDefault(def, want); err != "" {
			t.Errorf("SECURITY.md:%d: %s: the document says %q, the code %v: %s", i+1, name, def, want, err)
		}
		if flag != "—" {
			f := strings.TrimPrefix(strings.Trim(flag, "`"), "-")
			if !strings.Contains(string(mainGo), `"`+f+`"`) {
				t.Errorf("SECURITY.md:%d: %s: flags.go has no flag %s", i+1, name, flag)
			}
		}
	}
	ct := reflect.TypeOf(cfg)
	for i := range ct.NumField() {
		if f := ct.Field(i).Name; !seen[f] && !notLimits[f] {
			t.Errorf("SECURITY.md has no row for Config.%s", f)
		}
	}
	for name := range fixed {
		if !seen[name] {
			t.Errorf("SECURITY.md has no row for %s", name)
		}
	}
}

var docNumber = regexp.MustCompile(`^(\d+(?:\.\d+)?)\s*(ms|s|min|/s)?\b`)

// matchDefault compares a default as written in the document with the
// code's value; it returns why they differ, or "".
func matchDefault(doc string, want any) string {
	switch w := want.(type) {
	case string:
		if !strings.HasPrefix(doc, "`") || strings.Trim(strings.Fields(doc)[0], "`") != w {
			return "want `" + w + "`"
		}
		return ""
	case bool:
		if (doc == "on") != w || (doc != "on" && doc != "off") {
			return "want on or off"
		}
		return ""
	case []string:
		if len(w) != 0 || !strings.HasPrefix(doc, "none") {
			return "want none"
		}
		return ""
	}
	m := docNumber.FindStringSubmatch(doc)
	if m == nil {
		return "no number"
	}
	n, _ := strconv.ParseFloat(m[1], 64)
	unit := m[2]
	switch w := want.(type) {
	case time.Duration:
		d := map[string]time.Duration{"ms": time.Millisecond, "s": time.Second, "min": time.Minute}[unit]
		if d == 0 || time.Duration(n*float64(d)) != w {
			return "not this duration"
		}
	case float64:
		if unit != "/s" || n != w {
			return "not this rate"
		}
	case int:
		if unit != "" || n != float64(w) {
			return "not this number"
		}
	case int64:
		if unit != "" || n != float64(w) {
			return "not this number"
		}
	default:
		return "a value of a type this test cannot compare"
	}
	return ""
}
