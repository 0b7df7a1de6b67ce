package ui

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/zalando/go-keyring"
)

// Remembering room passwords in the system's keyring: the macOS
// Keychain, the Windows Credential Manager, or a Secret Service over
// D-Bus (GNOME Keyring, KWallet) on Linux, through
// github.com/zalando/go-keyring (docs/SECURITY.md, "Room password": why
// that library). Many Linux desktops, and every CI machine, have no
// Secret Service: then the window does not offer to remember, and says
// that it keeps the password in memory only.

// Keyring keeps secrets for the window, under keys of its choosing.
type Keyring interface {
	// Load returns the secret kept under key, "" if there is none, or
	// an error if the keyring cannot be used.
	Load(key string) (string, error)
	// Store keeps secret under key.
	Store(key, secret string) error
	// Forget removes what is kept under key, if anything.
	Forget(key string) error
}

// keyringService names Parley's entries in the system keyring.
const keyringService = "Parley room password"

// keyringProbe bounds the first look at the keyring: a D-Bus call to a
// Secret Service that is slow to start must not hold anything up.
const keyringProbe = 3 * time.Second

// errNoKeyring: this system has no keyring the app can reach.
var errNoKeyring = errors.New("no system keyring")

// SystemKeyring returns the system's keyring.
func SystemKeyring() Keyring { return systemKeyring{} }

type systemKeyring struct{}

// reachable reports whether a keyring may be there. On Linux and the
// BSDs it is a Secret Service on the session bus: without a session bus
// address, the D-Bus library would try to launch a bus of its own.
func (systemKeyring) reachable() bool {
	switch runtime.GOOS {
	case "darwin", "windows":
		return true
	}
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		return true
	}
	dir := os.Getenv("XDG_RUNTIME_DIR")
	if dir == "" {
		return false
	}
	_, err := os.Stat(filepath.Join(dir, "bus"))
	return err == nil
}

// Load implements Keyring.
func (k systemKeyring) Load(key string) (string, error) {
	if !k.reachable() {
		return "", errNoKeyring
	}
	s, err := keyring.Get(keyringService, key)
	if errors.Is(err, keyring.ErrNotFound) {
		return "", nil
	}
	return s, err
}

// Store implements Keyring.
func (k systemKeyring) Store(key, secret string) error {
	if !k.reachable() {
		return errNoKeyring
	}
	return keyring.Set(keyringService, key, secret)
}

// Forget implements Keyring.
func (k systemKeyring) Forget(key string) error {
	if !k.reachable() {
		return errNoKeyring
	}
	if err := keyring.Delete(keyringService, key); err != nil && !errors.Is(err, keyring.ErrNotFound) {
		return err
	}
	return nil
}

// probeKeyring looks once, off the UI goroutine, whether the keyring in
// Options works; u.keyring is set if it does.
func (u *UI) probeKeyring() {
	k := u.opts.Keyring
	if k == nil {
		return
	}
	done := make(chan error, 1)
	go func() {
		_, err := k.Load("probe")
		done <- err
	}()
	go func() {
		var err error
		select {
		case err = <-done:
		case <-time.After(keyringProbe):
			err = errors.New("the keyring did not answer in time")
		}
		u.do(func() {
			if err != nil {
				u.logger.Info("not offering to remember room passwords", "keyring", err)
				return
			}
			u.keyring = k
		})
	}()
}

// keepPassword stores or forgets addr's password in the keyring, off the
// UI goroutine.
func (u *UI) keepPassword(addr, pw string) {
	k := u.keyring
	if k == nil {
		return
	}
	key, log := passwordKey(addr), u.logger
	go func() {
		var err error
		if pw == "" {
			err = k.Forget(key)
		} else {
			err = k.Store(key, pw)
		}
		if err != nil {
			log.Warn("keyring", "addr", key, "err", err)
		}
	}()
}

// loadPassword returns the password kept in k for addr, or "". It runs
// on the goroutine that dials.
func loadPassword(k Keyring, addr string) string {
	if k == nil {
		return ""
	}
	pw, _ := k.Load(passwordKey(addr))
	return pw
}
