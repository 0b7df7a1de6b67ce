package discovery_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"parley/internal/netnstest"
	"parley/net/client"
	"parley/net/discovery"
	"parley/net/wire"
)

// The tests here run parts of themselves in network namespaces (see
// netnstest.Main).
func TestMain(m *testing.M) {
	netnstest.Main(m, map[string]func() int{"host": roleHost, "browse": roleBrowse})
}

// roleHost hosts a chat, announced, with alice in it, and prints the
// messages alice receives from others as "GOT text" (see netnstest.Host).
func roleHost() int {
	// The log goes to stdout, in order with the lines the test waits for.
	log := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return netnstest.Host(log, func(port int) (func(), error) {
		c, err := client.Dial(context.Background(), client.Config{Addr: "127.0.0.1:" + strconv.Itoa(port), Nick: "alice"})
		if err != nil {
			return nil, err
		}
		go func() {
			for ev := range c.Events() {
				if m, ok := ev.(client.Message); ok && !m.Own && !m.Backlog {
					fmt.Printf("GOT %s from %s\n", m.Msg.Text, m.Msg.From)
				}
			}
		}()
		return func() { c.Close() }, nil
	})
}

// listing is how roleBrowse prints a listing.
type listing struct {
	Room, Instance, Host, Addr, Iface string
	Addrs                             []string
	People, Version                   int
}

// roleBrowse browses, printing each listing as "LIST [json]"; the first
// time it sees PARLEY_ROOM it joins it as bob, says "hello across", and
// prints "JOINED addr".
func roleBrowse() int {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	room := os.Getenv("PARLEY_ROOM")
	join := make(chan string, 1)
	go func() {
		err := discovery.Browse(ctx, log, func(list []discovery.Service) {
			var out []listing
			for _, s := range list {
				l := listing{Room: s.Info.Room, Instance: s.Instance, Host: s.Host,
					Addr: s.Addr(), Iface: s.Iface, People: s.Info.People, Version: s.Info.Version}
				for _, a := range s.Addrs {
					l.Addrs = append(l.Addrs, a.String())
				}
				out = append(out, l)
				if s.Info.Room == room {
					select {
					case join <- s.Addr():
					default:
					}
				}
			}
			b, _ := json.Marshal(out)
			fmt.Printf("LIST %s\n", b)
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "browse:", err)
			os.Exit(1)
		}
	}()
	var c *client.Client
	select {
	case addr := <-join:
		dctx, dcancel := context.WithTimeout(ctx, 10*time.Second)
		var err error
		c, err = client.Dial(dctx, client.Config{Addr: addr, Nick: "bob"})
		dcancel()
		if err != nil {
			fmt.Fprintln(os.Stderr, "join:", err)
			return 1
		}
		fmt.Printf("JOINED %s\n", addr)
		if _, err := c.Send("hello across"); err != nil {
			fmt.Fprintln(os.Stderr, "send:", err)
			return 1
		}
		defer c.Close()
	case <-time.After(30 * time.Second):
		fmt.Fprintln(os.Stderr, "the room was not found")
	}
	// Bob leaves when told (a line on stdin), and the browser keeps
	// listing until stdin closes.
	netnstest.WaitStdin(ctx)
	return 0
}

// TestFindJoinAcrossNamespaces: a chat announced in one namespace is
// listed in another with its room and people count, joined from the
// listing, and a message crosses; the count follows bob in, and the
// goodbye takes the listing away at once, long before any TTL.
func TestFindJoinAcrossNamespaces(t *testing.T) {
	p := netnstest.NewPair(t)
	// The host has a second network link, and a Docker bridge and a VPN
	// tunnel, which must not be announced on.
	subnet2 := "10.250." + strconv.Itoa(int(p.A[3]))
	second := p.AddLink(t, "x", subnet2)
	netnstest.AddStandIn(t, p.A, "docker0", "172.31.0.1/24")
	netnstest.AddStandIn(t, p.A, "wg0", "10.99.0.1/24")
	room := "Café " + p.A[3:]
	env := []string{"PARLEY_ROOM=" + room}
	host := netnstest.StartRole(t, p.A, "host", env)
	host.Expect(`^HOSTING \d+`, 15*time.Second)
	out := host.Output()
	for _, want := range []string{
		`msg="not announcing on" iface=docker0 why="virtual or container adapter`,
		`msg="not announcing on" iface=wg0 why="VPN`,
		`msg="not announcing on" iface=lo why="loopback`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the host's log lacks %s:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "ifaces="+p.IfA+","+second) && !strings.Contains(out, "ifaces="+second+","+p.IfA) {
		t.Errorf("the host does not say it announces on %s and %s:\n%s", p.IfA, second, out)
	}
	browse := netnstest.StartRole(t, p.B, "browse", env)

	// Listed with room, version and at first 1 person (alice).
	defer func() {
		if t.Failed() {
			t.Logf("host:\n%s", host.Output())
		}
	}()
	m := browse.Expect(`^LIST .*"Room":"`+room+`".*`, 15*time.Second)
	var list []listing
	json.Unmarshal([]byte(strings.TrimPrefix(m[0], "LIST ")), &list)
	if len(list) != 1 || list[0].Version != wire.Version || (list[0].Iface != p.IfB && list[0].Iface != p.IfB+"x") ||
		(!strings.HasPrefix(list[0].Addr, p.AddrA+":") && !strings.HasPrefix(list[0].Addr, subnet2+".1:")) {
		t.Fatalf("listing %+v: want one entry, version %d, heard on %s or %sx, at %s or %s.1", list, wire.Version,
			p.IfB, p.IfB, p.AddrA, subnet2)
	}
	// The host's IPv6 address came too (AAAA records).
	v6 := false
	for _, a := range list[0].Addrs {
		v6 = v6 || strings.HasPrefix(a, "fd")
	}
	if !v6 {
		t.Errorf("listing %+v has no IPv6 address of the host", list[0])
	}
	browse.Expect(`^JOINED (`+regexp.QuoteMeta(p.AddrA)+`|`+regexp.QuoteMeta(subnet2)+`\.1):\d+`, 15*time.Second)
	host.Expect(`^GOT hello across from bob$`, 10*time.Second)
	// Bob in: the TXT record says 2 people (one update, rate-limited).
	browse.Expect(`^LIST .*"People":2`, 10*time.Second)

	// The goodbye: the listing empties within seconds (the TTL is 75 min).
	start := time.Now()
	host.Stop(10 * time.Second)
	if !strings.Contains(host.Output(), "CLOSED") {
		t.Fatalf("host did not close its announcement:\n%s", host.Output())
	}
	browse.Expect(`^LIST null$`, 5*time.Second)
	t.Logf("listing gone %v after the host stopped", time.Since(start).Round(time.Millisecond))
	browse.Stop(10 * time.Second)
}

// TestThirdPartyBrowser: parley -server -announce, the real binary, is
// found by python3-zeroconf (a DNS-SD browser nobody here wrote), with the
// room's name in its TXT record.
func TestThirdPartyBrowser(t *testing.T) {
	p := netnstest.NewPair(t)
	py := "/usr/bin/python3"
	if out, err := exec.Command(py, "-c", "import zeroconf").CombinedOutput(); err != nil {
		t.Fatalf("python3-zeroconf is needed (scripts/setup.sh test installs it): %v %s", err, out)
	}
	bin := filepath.Join(t.TempDir(), "parley-server")
	build := exec.Command("go", "build", "-tags", "nogui", "-o", bin, "parley")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building parley-server: %v\n%s", err, out)
	}
	room := "Salle " + p.A[3:]
	srv := netnstest.Start(t, p.A, nil, bin, "-server", "-announce", "-addr", ":2000", "-room", room)
	browser := netnstest.Start(t, p.B, nil, py, "-u", "testdata/browse.py")
	// python3 starting up and zeroconf's first query can take long on a
	// busy machine (seen past 20s under a full -race run): the bound is for
	// a hang, not a speed.
	m := browser.Expect(`^FOUND (.*)$`, 45*time.Second)
	var got struct {
		Name    string
		Port    int
		Addrs   []string
		Room    string
		V       string
		People  string
		Service string
	}
	if err := json.Unmarshal([]byte(m[1]), &got); err != nil {
		t.Fatalf("browse.py printed %q: %v", m[1], err)
	}
	if got.Room != room || got.Port != 2000 || got.V != strconv.Itoa(wire.Version) || got.People != "0" {
		t.Fatalf("python-zeroconf found %+v; want room %q, port 2000, v %d, people 0", got, room, wire.Version)
	}
	found := false
	for _, a := range got.Addrs {
		found = found || a == p.AddrA
	}
	if !found {
		t.Fatalf("python-zeroconf found addresses %v, want %s among them", got.Addrs, p.AddrA)
	}
	// SIGTERM: the server's goodbye removes it from python's listing.
	srv.Signal()
	browser.Expect(`^REMOVED `, 10*time.Second)
	srv.Stop(10 * time.Second)
	browser.Stop(5 * time.Second)
	for _, want := range []string{
		"announcing on the local network",
		// The connection checker's findings at start-up.
		"share: " + p.AddrA + ":2000",
		p.AddrA + ":2000: answers",
	} {
		if !strings.Contains(srv.Output(), want) {
			t.Errorf("the server's log lacks %q:\n%s", want, srv.Output())
		}
	}
}
