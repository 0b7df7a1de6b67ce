package hosting

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"
)

// checkTimeout bounds the check of one address.
const checkTimeout = 2 * time.Second

// Result is the check of one shared address.
type Result struct {
	Addr string        // HOST:PORT
	Err  error         // nil when the chat server answered
	Took time.Duration // how long the answer took
}

// CheckAddrs connects to each address as someone joining would, a TCP
// connection and an HTTP GET of "/", and reports whether the chat server
// answered there. It runs the checks at once and waits at most a few
// seconds. From this computer, a firewall that blocks others usually lets
// the check through: a failure here is sure, a success is not.
func CheckAddrs(ctx context.Context, addrs []string) []Result {
	out := make([]Result, len(addrs))
	var wg sync.WaitGroup
	for i, a := range addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			err := checkOne(ctx, a)
			out[i] = Result{Addr: a, Err: err, Took: time.Since(start)}
		}()
	}
	wg.Wait()
	return out
}

func checkOne(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	err := get(ctx, "http://"+addr+"/", &http.Transport{DisableKeepAlives: true})
	var op *net.OpError
	if err == nil || (errors.As(err, &op) && op.Op == "dial") {
		// It answered, or nothing listens there at all.
		return err
	}
	// Something answered, but not plain HTTP: an encrypted server (-tls)
	// speaks HTTPS on the same port. This only checks that the chat
	// answers on the address; nothing it sends is trusted, so its
	// certificate (self-signed, pinned by the clients) is not checked.
	tr := &http.Transport{DisableKeepAlives: true, TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	if tlsErr := get(ctx, "https://"+addr+"/", tr); tlsErr == nil {
		return nil
	}
	return err
}

// get fetches url through tr and wants 200 OK.
func get(ctx context.Context, url string, tr *http.Transport) error {
	defer tr.CloseIdleConnections()
	tr.Proxy = nil
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("answered HTTP %d, not the chat's page", resp.StatusCode)
	}
	return nil
}

// Report is what the checker found: the interfaces, the addresses to
// share, whether the port answers on them, and advice in plain words.
type Report struct {
	Port    int
	Ifaces  []Iface
	Share   []string // best first
	Results []Result
	Advice  []string
}

// Env is what the advice depends on besides the interfaces, so that tests
// can set it: the operating system and a file reader (for /etc/ufw).
type Env struct {
	GOOS     string
	ReadFile func(string) ([]byte, error)
	Exists   func(string) bool
}

// LocalEnv is this computer.
func LocalEnv() Env {
	return Env{GOOS: runtime.GOOS, ReadFile: os.ReadFile, Exists: func(p string) bool {
		_, err := os.Stat(p)
		return err == nil
	}}
}

// Check lists this computer's interfaces, the addresses to share for a
// chat on port, checks each, and says what may be wrong.
func Check(ctx context.Context, port int) Report {
	ifaces, _ := Interfaces()
	share := ShareAddrs(ifaces, port)
	return Explain(port, ifaces, share, CheckAddrs(ctx, share), LocalEnv())
}

// Explain builds the report and its advice from what was found.
func Explain(port int, ifaces []Iface, share []string, results []Result, env Env) Report {
	r := Report{Port: port, Ifaces: ifaces, Share: share, Results: results}
	var lan, vpn, virtual []string
	for _, i := range ifaces {
		if !i.Up || len(i.Addrs) == 0 {
			continue
		}
		switch i.Kind {
		case LAN:
			lan = append(lan, i.Name)
			if i.LinkLocal() {
				r.Advice = append(r.Advice, fmt.Sprintf("%s has only a link-local address (169.254.x.x or fe80::): it got no address from a router. Others can join only if they are plugged into the same cable or switch.", i.Name))
			}
		case VPN:
			vpn = append(vpn, i.Name)
		case Virtual:
			virtual = append(virtual, i.Name)
		}
	}
	if len(share) == 0 {
		r.Advice = append(r.Advice, "This computer has no network address others could use: it seems not to be connected to a network.")
	}
	if len(lan) == 0 && len(share) > 0 {
		r.Advice = append(r.Advice, "No ordinary network adapter (Wi-Fi or Ethernet) is connected: the addresses shown belong to VPN or virtual adapters, which others on your network usually cannot reach.")
	}
	if len(vpn) > 0 {
		r.Advice = append(r.Advice, fmt.Sprintf("A VPN is on (%s). Its addresses work only for others on the same VPN, and some VPNs block the local network while they are connected: if others cannot join, try with the VPN off.", strings.Join(vpn, ", ")))
	}
	if len(virtual) > 0 {
		r.Advice = append(r.Advice, fmt.Sprintf("%s %s virtual or container adapters (Docker, virtual machines): their addresses are listed last and only work from inside those.", strings.Join(virtual, ", "), isAre(len(virtual))))
	}
	failed := 0
	for _, res := range results {
		if res.Err != nil {
			failed++
		}
	}
	if failed > 0 {
		r.Advice = append(r.Advice, fmt.Sprintf("The chat did not answer on %d of %d addresses even from this computer: something on this computer blocks the port, or the address just changed.", failed, len(results)))
	}
	if len(share) > 0 {
		r.Advice = append(r.Advice, firewallAdvice(port, env)...)
		r.Advice = append(r.Advice, "On guest or public Wi-Fi, the network often keeps devices apart (client isolation): nobody can join however the computer is set up. Use a home or office network, or a phone's hotspot.")
	}
	return r
}

func isAre(n int) string {
	if n == 1 {
		return "is a"
	}
	return "are"
}

// firewallAdvice says in plain words how this system's firewall may stop
// others from joining, and what to do.
func firewallAdvice(port int, env Env) []string {
	switch env.GOOS {
	case "windows":
		return []string{fmt.Sprintf("Windows Defender Firewall may block others: the first time Parley hosts, Windows asks whether to allow it; choose \"Allow access\" for private networks. If you dismissed that, open Windows Security ▸ Firewall & network protection ▸ Allow an app through firewall, and tick Parley for Private networks (port %d, TCP). Make sure the network is set to Private, not Public.", port)}
	case "darwin":
		return []string{"If the macOS firewall is on (System Settings ▸ Network ▸ Firewall), macOS asks whether Parley may accept incoming connections: choose Allow. If you chose Deny, change it under Firewall ▸ Options."}
	case "linux":
		var out []string
		if env.ReadFile != nil {
			if b, err := env.ReadFile("/etc/ufw/ufw.conf"); err == nil && strings.Contains(strings.ReplaceAll(string(b), " ", ""), "ENABLED=yes") {
				out = append(out, fmt.Sprintf("The ufw firewall is on: others cannot join until it lets the port in. Run: sudo ufw allow %d/tcp", port))
			}
		}
		if env.Exists != nil && (env.Exists("/run/firewalld/firewalld.pid") || env.Exists("/var/run/firewalld.pid")) {
			out = append(out, fmt.Sprintf("firewalld is running: others cannot join until it lets the port in. Run: sudo firewall-cmd --add-port=%d/tcp (add --permanent to keep it after a restart).", port))
		}
		return out
	}
	return nil
}

// Lines is the report as text, one finding a line, for logs and the
// window.
func (r Report) Lines() []string {
	var out []string
	for _, i := range r.Ifaces {
		if len(i.Addrs) == 0 {
			continue
		}
		state := ""
		if !i.Up {
			state = ", down"
		}
		if i.LinkLocal() {
			state += ", link-local only"
		}
		var as []string
		for _, a := range i.Addrs {
			as = append(as, a.String())
		}
		out = append(out, fmt.Sprintf("interface %s (%s%s): %s", i.Name, i.Kind, state, strings.Join(as, " ")))
	}
	if len(r.Share) > 0 {
		line := "share: " + r.Share[0]
		if len(r.Share) > 1 {
			line += " (also " + strings.Join(r.Share[1:], ", ") + ")"
		}
		out = append(out, line)
	}
	for _, res := range r.Results {
		if res.Err != nil {
			out = append(out, fmt.Sprintf("%s: no answer (%v)", res.Addr, res.Err))
		} else {
			out = append(out, fmt.Sprintf("%s: answers (%v)", res.Addr, res.Took.Round(time.Millisecond)))
		}
	}
	return append(out, r.Advice...)
}
