package edge

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// writeCert writes a self-signed certificate for 127.0.0.1 with the given common name.
func writeCert(t *testing.T, dir, cn string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: nil,
		DNSNames: []string{"localhost"}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestTLSConfig_OnlyTLS13AndRenewedCertificatesAreServed(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := writeCert(t, dir, "first")
	cfg, err := newTLSConfig(certFile, keyFile, 0) // check the files on every handshake
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(r.TLS.ServerName))
	}))
	srv.TLS = cfg
	srv.StartTLS()
	defer srv.Close()
	addr := srv.Listener.Addr().String()

	dial := func(max uint16, roots *x509.CertPool) (*tls.Conn, error) {
		return tls.Dial("tcp", addr, &tls.Config{ServerName: "localhost", RootCAs: roots, MaxVersion: max})
	}
	conn, err := dial(tls.VersionTLS13, pool)
	if err != nil {
		t.Fatalf("TLS 1.3 client: %v", err)
	}
	if v := conn.ConnectionState().Version; v != tls.VersionTLS13 {
		t.Fatalf("negotiated %x", v)
	}
	conn.Close()
	if conn, err := dial(tls.VersionTLS12, pool); err == nil {
		conn.Close()
		t.Fatal("a TLS 1.2 client was served")
	}

	// Renewal in place: the new certificate is served once the files change.
	time.Sleep(10 * time.Millisecond) // a distinct modification time
	_, _, pool2 := writeCert(t, dir, "second")
	conn, err = dial(tls.VersionTLS13, pool2)
	if err != nil {
		t.Fatalf("after renewal: %v", err)
	}
	if cn := conn.ConnectionState().PeerCertificates[0].Subject.CommonName; cn != "second" {
		t.Fatalf("served %q after renewal", cn)
	}
	conn.Close()

	// A broken renewal keeps the working certificate.
	if err := os.WriteFile(certFile, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if conn, err := dial(tls.VersionTLS13, pool2); err != nil {
		t.Fatalf("after a broken renewal: %v", err)
	} else {
		conn.Close()
	}
	if _, err := TLSConfig(certFile, keyFile); err == nil {
		t.Fatal("a broken key pair was accepted at start")
	}
}
