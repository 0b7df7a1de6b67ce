// Package netnstest makes pairs of Linux network namespaces joined by a
// veth link, for tests of what crosses a network (multicast discovery,
// joining from another computer). Multicast sent in them stays in them.
//
// Setting up needs root and the ip command. Under CI (CI=true) a failure
// to set up fails the test; elsewhere it skips, so that a developer
// without root can run the rest.
package netnstest

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Pair is two namespaces, A and B, joined by a veth link: A has
// 10.X.Y.1/24 and fdXX::1/64, B has .2 and ::2.
type Pair struct {
	A, B         string // namespace names
	IfA, IfB     string // the veth ends' names (not "veth…": that prefix marks container links)
	AddrA, AddrB string // the IPv4 addresses
}

// NewPair makes a pair of namespaces for the test and removes them when it
// ends.
func NewPair(t testing.TB) *Pair {
	t.Helper()
	if err := check(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("network namespaces are needed under CI: %v", err)
		}
		t.Skipf("network namespaces unavailable (run as root with iproute2): %v", err)
	}
	var b [3]byte
	rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	p := &Pair{
		A: "plA" + id, B: "plB" + id,
		IfA: "pla" + id, IfB: "plb" + id,
	}
	n1, n2 := 16+int(b[0])%200, int(b[1])
	p.AddrA = fmt.Sprintf("10.%d.%d.1", n1, n2)
	p.AddrB = fmt.Sprintf("10.%d.%d.2", n1, n2)
	v6 := fmt.Sprintf("fd%02x:%02x::", b[0], b[1])
	t.Cleanup(func() {
		exec.Command("ip", "netns", "del", p.A).Run()
		exec.Command("ip", "netns", "del", p.B).Run()
	})
	cmds := [][]string{
		{"netns", "add", p.A},
		{"netns", "add", p.B},
		{"link", "add", p.IfA, "type", "veth", "peer", "name", p.IfB},
		{"link", "set", p.IfA, "netns", p.A},
		{"link", "set", p.IfB, "netns", p.B},
		{"-n", p.A, "addr", "add", p.AddrA + "/24", "dev", p.IfA},
		{"-n", p.B, "addr", "add", p.AddrB + "/24", "dev", p.IfB},
		{"-n", p.A, "addr", "add", v6 + "1/64", "dev", p.IfA, "nodad"},
		{"-n", p.B, "addr", "add", v6 + "2/64", "dev", p.IfB, "nodad"},
		{"-n", p.A, "link", "set", "lo", "up"},
		{"-n", p.B, "link", "set", "lo", "up"},
		{"-n", p.A, "link", "set", p.IfA, "up"},
		{"-n", p.B, "link", "set", p.IfB, "up"},
	}
	for _, c := range cmds {
		if out, err := exec.Command("ip", c...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(c, " "), err, out)
		}
	}
	return p
}

func check() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("not root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return err
	}
	return nil
}

// Proc is a process running in a namespace, its output read line by line.
type Proc struct {
	t     testing.TB
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
	mu    sync.Mutex
	all   []string // every line, stdout and stderr, for failure reports
	done  chan struct{}
}

// Start runs argv inside namespace ns with extra environment. The process
// is killed when the test ends if it is still running.
func Start(t testing.TB, ns string, env []string, argv ...string) *Proc {
	t.Helper()
	args := append([]string{"netns", "exec", ns}, argv...)
	cmd := exec.Command("ip", args...)
	cmd.Env = append(os.Environ(), env...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	p := &Proc{t: t, cmd: cmd, stdin: stdin, lines: make(chan string, 1024), done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %v in %s: %v", argv, ns, err)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	read := func(r io.Reader, tag string, keep bool) {
		defer wg.Done()
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.all = append(p.all, tag+line)
			p.mu.Unlock()
			if keep {
				select {
				case p.lines <- line:
				default:
				}
			}
		}
	}
	go read(stdout, "", true)
	go read(stderr, "stderr: ", false)
	go func() {
		wg.Wait()
		cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// Expect waits for a stdout line matching re and returns its submatches.
func (p *Proc) Expect(re string, timeout time.Duration) []string {
	p.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				p.t.Fatalf("process ended before printing %q:\n%s", re, p.Output())
			}
			if m := rx.FindStringSubmatch(line); m != nil {
				return m
			}
		case <-p.done:
			// Drain what was read before it ended.
			select {
			case line := <-p.lines:
				if m := rx.FindStringSubmatch(line); m != nil {
					return m
				}
				continue
			default:
			}
			p.t.Fatalf("process ended before printing %q:\n%s", re, p.Output())
		case <-deadline.C:
			p.t.Fatalf("no line matching %q within %v:\n%s", re, timeout, p.Output())
		}
	}
}

// Output is everything the process printed so far.
func (p *Proc) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.all, "\n")
}

// Stop closes the process's stdin (the roles here end on that) and waits
// for it to exit, at most timeout; it fails the test if the process
// reported a data race.
func (p *Proc) Stop(timeout time.Duration) {
	p.t.Helper()
	p.stdin.Close()
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.cmd.Process.Kill()
		<-p.done
		p.t.Errorf("process did not end within %v after its stdin closed:\n%s", timeout, p.Output())
	}
	if strings.Contains(p.Output(), "DATA RACE") {
		p.t.Errorf("the process reported a data race:\n%s", p.Output())
	}
}

// WaitStdin blocks until stdin closes or ctx ends: how a helper process
// knows the test is done with it.
func WaitStdin(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		io.Copy(io.Discard, os.Stdin)
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// Signal sends the process SIGTERM. The process is ip netns exec, which
// execs the command, so the signal reaches the command itself.
func (p *Proc) Signal() {
	p.cmd.Process.Signal(syscall.SIGTERM)
}

// Run runs the ip command with args, failing the test if it fails.
func Run(t testing.TB, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// AddLink joins the pair by a second veth link, named like the first with
// suffix, on subnet 10.X.Y.0/24 (A .1, B .2), and returns A's end's name:
// for tests of a host with several network interfaces.
func (p *Pair) AddLink(t testing.TB, suffix, subnet string) string {
	t.Helper()
	a, b := p.IfA+suffix, p.IfB+suffix
	Run(t, "link", "add", a, "type", "veth", "peer", "name", b)
	Run(t, "link", "set", a, "netns", p.A)
	Run(t, "link", "set", b, "netns", p.B)
	Run(t, "-n", p.A, "addr", "add", subnet+".1/24", "dev", a)
	Run(t, "-n", p.B, "addr", "add", subnet+".2/24", "dev", b)
	Run(t, "-n", p.A, "link", "set", a, "up")
	Run(t, "-n", p.B, "link", "set", b, "up")
	return a
}

// AddStandIn adds an interface named name, up, with multicast and addr
// (CIDR), to namespace ns: it stands in for an adapter such as docker0 or
// wg0 that a host has besides its network. It is one end of a veth pair
// whose other end, name+"p", stays in ns too (kernels in containers often
// lack the dummy type).
func AddStandIn(t testing.TB, ns, name, addr string) {
	t.Helper()
	Run(t, "-n", ns, "link", "add", name, "type", "veth", "peer", "name", name+"p")
	Run(t, "-n", ns, "addr", "add", addr, "dev", name)
	Run(t, "-n", ns, "link", "set", name+"p", "up")
	Run(t, "-n", ns, "link", "set", name, "up")
}
