package hosting

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

func TestCheckAddrs(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("chat")) }))
	defer ok.Close()
	notChat := httptest.NewServer(http.NotFoundHandler())
	defer notChat.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	// An encrypted server (-tls) answers HTTPS on its port.
	encrypted := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("chat")) }))
	defer encrypted.Close()
	addrs := []string{strings.TrimPrefix(ok.URL, "http://"), strings.TrimPrefix(notChat.URL, "http://"), closed,
		strings.TrimPrefix(encrypted.URL, "https://")}
	res := CheckAddrs(context.Background(), addrs)
	if res[3].Err != nil {
		t.Errorf("%s (HTTPS): %v, want an answer", res[3].Addr, res[3].Err)
	}
	if res[0].Err != nil {
		t.Errorf("%s: %v, want an answer", res[0].Addr, res[0].Err)
	}
	if res[1].Err == nil || !strings.Contains(res[1].Err.Error(), "HTTP 404") {
		t.Errorf("%s: %v, want HTTP 404", res[1].Addr, res[1].Err)
	}
	if res[2].Err == nil {
		t.Errorf("%s (closed): no error", res[2].Addr)
	}
}

func env(goos string, files map[string]string) Env {
	return Env{GOOS: goos,
		ReadFile: func(p string) ([]byte, error) {
			if s, ok := files[p]; ok {
				return []byte(s), nil
			}
			return nil, os.ErrNotExist
		},
		Exists: func(p string) bool { _, ok := files[p]; return ok },
	}
}

func TestExplain(t *testing.T) {
	lan := Iface{Name: "eth0", Kind: LAN, Up: true, Addrs: addrs("192.168.1.20")}
	tests := []struct {
		name    string
		ifaces  []Iface
		results []Result
		env     Env
		want    []string // each in some advice line
		notWant []string
	}{
		{"plain LAN on Linux", []Iface{lan}, []Result{{Addr: "192.168.1.20:2000"}}, env("linux", nil),
			[]string{"client isolation"}, []string{"ufw", "VPN", "did not answer"}},
		{"ufw on", []Iface{lan}, nil, env("linux", map[string]string{"/etc/ufw/ufw.conf": "# c\nENABLED=yes\n"}),
			[]string{"sudo ufw allow 2000/tcp"}, []string{"firewall-cmd"}},
		{"ufw off", []Iface{lan}, nil, env("linux", map[string]string{"/etc/ufw/ufw.conf": "ENABLED=no\n"}),
			nil, []string{"ufw"}},
		{"firewalld", []Iface{lan}, nil, env("linux", map[string]string{"/run/firewalld/firewalld.pid": "1"}),
			[]string{"firewall-cmd --add-port=2000/tcp"}, nil},
		{"windows", []Iface{lan}, nil, env("windows", nil), []string{"Windows Defender Firewall", "Allow access"}, nil},
		{"macOS", []Iface{lan}, nil, env("darwin", nil), []string{"macOS firewall"}, nil},
		{"vpn and docker", []Iface{lan, {Name: "wg0", Kind: VPN, Up: true, Addrs: addrs("10.8.0.2")},
			{Name: "docker0", Kind: Virtual, Up: true, Addrs: addrs("172.17.0.1")}}, nil, env("linux", nil),
			[]string{"A VPN is on (wg0)", "docker0 is a virtual"}, nil},
		{"only a VPN", []Iface{{Name: "tun0", Kind: VPN, Up: true, Addrs: addrs("10.8.0.2")}}, nil, env("linux", nil),
			[]string{"No ordinary network adapter"}, nil},
		{"link-local", []Iface{{Name: "eth0", Kind: LAN, Up: true, Addrs: addrs("169.254.7.7")}}, nil, env("linux", nil),
			[]string{"no address from a router"}, nil},
		{"no network", []Iface{{Name: "lo", Kind: Loopback, Up: true, Addrs: addrs("127.0.0.1")}}, nil, env("linux", nil),
			[]string{"not to be connected"}, []string{"client isolation"}},
		{"port does not answer", []Iface{lan}, []Result{{Addr: "192.168.1.20:2000", Err: errors.New("refused")}}, env("linux", nil),
			[]string{"did not answer on 1 of 1"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Explain(2000, tt.ifaces, ShareAddrs(tt.ifaces, 2000), tt.results, tt.env)
			all := strings.Join(r.Advice, "\n")
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("advice lacks %q:\n%s", w, all)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(all, w) {
					t.Errorf("advice has %q:\n%s", w, all)
				}
			}
		})
	}
}

func TestReportLines(t *testing.T) {
	ifaces := []Iface{{Name: "eth0", Kind: LAN, Up: true, Addrs: addrs("192.168.1.20", "fe80::1")},
		{Name: "wg0", Kind: VPN, Up: true, Addrs: addrs("10.8.0.2")}}
	r := Explain(2000, ifaces, ShareAddrs(ifaces, 2000),
		[]Result{{Addr: "192.168.1.20:2000"}, {Addr: "10.8.0.2:2000", Err: errors.New("timeout")}}, env("linux", nil))
	text := strings.Join(r.Lines(), "\n")
	for _, w := range []string{"interface eth0 (network): 192.168.1.20 fe80::1", "interface wg0 (VPN)", "share: 192.168.1.20:2000 (also 10.8.0.2:2000)",
		"192.168.1.20:2000: answers", "10.8.0.2:2000: no answer (timeout)"} {
		if !strings.Contains(text, w) {
			t.Errorf("lines lack %q:\n%s", w, text)
		}
	}
}
