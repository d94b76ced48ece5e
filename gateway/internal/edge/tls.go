package edge

import (
	"crypto/tls"
	"fmt"
	"os"
	"sync"
	"time"
)

// TLSConfig serves TLS 1.3 only, with the key pair in certFile and keyFile (PEM). The files
// are read again when they change (cert-manager and friends renew certificates in place), at
// most once per checkEvery; a renewal that does not load keeps the certificate in use.
func TLSConfig(certFile, keyFile string) (*tls.Config, error) {
	return newTLSConfig(certFile, keyFile, 10*time.Second)
}

func newTLSConfig(certFile, keyFile string, checkEvery time.Duration) (*tls.Config, error) {
	r := &certReloader{certFile: certFile, keyFile: keyFile, checkEvery: checkEvery}
	if err := r.load(); err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:     tls.VersionTLS13,
		GetCertificate: r.get,
		NextProtos:     []string{"h2", "http/1.1"},
	}, nil
}

type certReloader struct {
	certFile, keyFile string
	checkEvery        time.Duration

	mu      sync.Mutex
	cert    *tls.Certificate
	modTime time.Time
	checked time.Time
}

func (r *certReloader) load() error {
	st, err := os.Stat(r.certFile)
	if err != nil {
		return fmt.Errorf("TLS certificate: %w", err)
	}
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("TLS key pair: %w", err)
	}
	r.cert, r.modTime = &cert, st.ModTime()
	return nil
}

func (r *certReloader) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now := time.Now(); now.Sub(r.checked) >= r.checkEvery {
		r.checked = now
		if st, err := os.Stat(r.certFile); err == nil && !st.ModTime().Equal(r.modTime) {
			_ = r.load() // a half-written renewal: keep serving the old pair, retry later
		}
	}
	return r.cert, nil
}
