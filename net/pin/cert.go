package pin

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// File names of the host's certificate and key in the folder given to
// LoadOrCreate.
const (
	CertFile = "cert.pem"
	KeyFile  = "key.pem"
)

// validity is how long a made certificate lasts. Nobody checks it against
// a CA's rules (clients verify by pin), so it is long: a chat hosted from
// a laptop should not break on a date. LoadOrCreate re-issues an expired
// certificate for the same key, which keeps the fingerprint.
const validity = 20 * 365 * 24 * time.Hour

// LoadOrCreate returns the certificate kept in dir, making it on first
// use: an ECDSA P-256 key (which every TLS stack and browser accepts) and
// a self-signed certificate for it, written with mode 0600 in a folder of
// mode 0700. A key with no certificate, or with an expired one or one that
// does not match it, gets a new certificate for the same key, so the
// fingerprint stays. A key file that
// others may read is refused, as ssh refuses one, rather than used.
func LoadOrCreate(dir string) (tls.Certificate, error) {
	keyPath, certPath := filepath.Join(dir, KeyFile), filepath.Join(dir, CertFile)
	key, err := loadKey(keyPath)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return tls.Certificate{}, fmt.Errorf("pin: %w", err)
		}
		key, err = newKey(keyPath)
	}
	if err != nil {
		return tls.Certificate{}, err
	}
	// The key is what matters: a certificate that is missing, expired,
	// unreadable or for another key (two programs made the pair at once)
	// is issued again.
	if cert, err := tls.LoadX509KeyPair(certPath, keyPath); err == nil &&
		time.Now().Before(cert.Leaf.NotAfter) {
		return cert, nil
	}
	der, err := selfSign(key)
	if err != nil {
		return tls.Certificate{}, err
	}
	if err := writeFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})); err != nil {
		return tls.Certificate{}, err
	}
	cert, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("pin: %w", err)
	}
	return cert, nil
}

// loadKey reads a PEM PKCS#8 ECDSA key, refusing one others may read.
func loadKey(path string) (*ecdsa.PrivateKey, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("pin: %s may be read by others (mode %#o): run chmod 600 on it", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("pin: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("pin: %s holds no PEM key", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("pin: %s: %w", path, err)
	}
	ek, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("pin: %s holds a %T, not an ECDSA key", path, k)
	}
	return ek, nil
}

// newKey makes a key and writes it to path.
func newKey(path string) (*ecdsa.PrivateKey, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("pin: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("pin: %w", err)
	}
	if err := writeFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
		return nil, err
	}
	return k, nil
}

// selfSign issues a certificate for key, signed by itself. It names no
// hosts: clients check the pin, not names, and a laptop's addresses
// change from one network to the next.
func selfSign(key *ecdsa.PrivateKey) ([]byte, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("pin: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "Parley chat host"},
		NotBefore:             now.Add(-time.Hour), // clocks differ
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("pin: %w", err)
	}
	return der, nil
}

// writeFile writes b to path with mode 0600 through a temporary file and
// a rename, so that a crash leaves the old file or the new one, never half.
func writeFile(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return fmt.Errorf("pin: %w", err)
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		f.Close()
		return fmt.Errorf("pin: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("pin: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("pin: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("pin: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("pin: %w", err)
	}
	return nil
}

// CertFingerprint returns the fingerprint of a loaded certificate's leaf.
func CertFingerprint(cert tls.Certificate) (Fingerprint, error) {
	if cert.Leaf != nil {
		return Of(cert.Leaf), nil
	}
	if len(cert.Certificate) == 0 {
		return Fingerprint{}, errors.New("pin: the certificate is empty")
	}
	return OfDER(cert.Certificate[0])
}
