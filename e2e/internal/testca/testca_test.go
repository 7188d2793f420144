package testca_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/e2e/internal/testca"
)

func newCA(t *testing.T) *testca.CA {
	t.Helper()
	ca, err := testca.New()
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func caCert(t *testing.T, ca *testca.CA) *x509.Certificate {
	t.Helper()
	block, rest := pem.Decode(ca.CertPEM())
	if block == nil || block.Type != "CERTIFICATE" || len(bytes.TrimSpace(rest)) != 0 {
		t.Fatalf("CertPEM() is not one PEM certificate:\n%s", ca.CertPEM())
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNew(t *testing.T) {
	start := time.Now()
	ca := newCA(t)
	c := caCert(t, ca)
	if c.Subject.CommonName != testca.CommonName {
		t.Errorf("CA CommonName = %q, want %q", c.Subject.CommonName, testca.CommonName)
	}
	if !c.IsCA || !c.BasicConstraintsValid || c.KeyUsage&x509.KeyUsageCertSign == 0 {
		t.Errorf("CA: IsCA=%v BasicConstraintsValid=%v KeyUsage=%b, want a CA that signs certificates", c.IsCA, c.BasicConstraintsValid, c.KeyUsage)
	}
	if pub, ok := c.PublicKey.(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P256() {
		t.Errorf("CA key is %T, want ECDSA P-256", c.PublicKey)
	}
	if !c.NotBefore.Before(start.Add(-50*time.Minute)) || !c.NotAfter.After(start.Add(23*time.Hour)) {
		t.Errorf("CA validity %v to %v, want about now-1h to now+24h", c.NotBefore, c.NotAfter)
	}

	leaf := ca.ServerTLSConfig().Certificates[0].Leaf
	if leaf == nil {
		t.Fatal("server certificate has no parsed Leaf")
	}
	var ips []string
	for _, ip := range leaf.IPAddresses {
		ips = append(ips, ip.String())
	}
	if diff := cmp.Diff([]string{"127.0.0.1", "::1"}, ips); diff != "" {
		t.Errorf("server IP SANs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"localhost"}, leaf.DNSNames); diff != "" {
		t.Errorf("server DNS SANs (-want +got):\n%s", diff)
	}
	if err := leaf.CheckSignatureFrom(c); err != nil {
		t.Errorf("server certificate is not signed by the CA: %v", err)
	}

	if other := caCert(t, newCA(t)); bytes.Equal(other.Raw, c.Raw) {
		t.Error("two calls of New made the same CA")
	}
}

func TestTLS(t *testing.T) {
	ca := newCA(t)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello")
	}))
	srv.TLS = ca.ServerTLSConfig()
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the failing handshakes are expected
	srv.StartTLS()
	defer srv.Close()
	if host, _, _ := net.SplitHostPort(srv.Listener.Addr().String()); host != "127.0.0.1" {
		t.Fatalf("httptest server listens on %s, want 127.0.0.1", srv.Listener.Addr())
	}

	tests := []struct {
		name       string
		pool       *x509.CertPool
		serverName string // empty: the URL's host, 127.0.0.1
		wantErr    any    // pointer to the error type errors.As must find; nil for success
	}{
		{name: "CA pool, IP address", pool: ca.Pool()},
		{name: "CA pool, localhost", pool: ca.Pool(), serverName: "localhost"},
		{name: "CA pool, IPv6 loopback", pool: ca.Pool(), serverName: "::1"},
		{name: "CA pool, other name", pool: ca.Pool(), serverName: "example.com", wantErr: new(x509.HostnameError)},
		{name: "empty pool", pool: x509.NewCertPool(), wantErr: new(x509.UnknownAuthorityError)},
		{name: "another CA's pool", pool: newCA(t).Pool(), wantErr: new(x509.UnknownAuthorityError)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: tt.pool, ServerName: tt.serverName}}
			defer tr.CloseIdleConnections()
			resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get(srv.URL)
			if tt.wantErr != nil {
				if err == nil {
					resp.Body.Close()
					t.Fatal("GET succeeded, want an error")
				}
				if !errors.As(err, tt.wantErr) {
					t.Fatalf("GET: %v, want a %T", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("GET: %v", err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if string(body) != "hello" {
				t.Errorf("body = %q, want %q", body, "hello")
			}
		})
	}
}

// selfSigned returns a PEM self-signed CA certificate with the given subject.
func selfSigned(t *testing.T, cn string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// parsable returns the raw bytes of the certificates in a PEM bundle that
// parse.
func parsable(t *testing.T, path string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var raws [][]byte
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return raws
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		if c, err := x509.ParseCertificate(block.Bytes); err == nil {
			raws = append(raws, c.Raw)
		}
	}
}

func TestWriteTrustStore(t *testing.T) {
	ca := newCA(t)
	want := caCert(t, ca)

	tests := []struct {
		name string
		// bundle writes a CA bundle into dir and returns the value for
		// $SSL_CERT_FILE ("" for the default system bundle).
		bundle func(t *testing.T, dir string) string
	}{
		{
			name:   "system bundle",
			bundle: func(t *testing.T, dir string) string { return "" },
		},
		{
			name: "custom bundle with junk and a shared subject",
			bundle: func(t *testing.T, dir string) string {
				var b bytes.Buffer
				b.Write(selfSigned(t, "root one"))
				b.WriteString("some text between blocks\n")
				b.Write(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("not DER")}))
				b.Write(selfSigned(t, "root two"))
				b.Write(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("ignored")}))
				b.Write(selfSigned(t, "root two"))
				p := filepath.Join(dir, "bundle.pem")
				if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return p
			},
		},
		{
			name:   "no bundle",
			bundle: func(t *testing.T, dir string) string { return filepath.Join(dir, "missing.pem") },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			env := tt.bundle(t, dir)
			t.Setenv("SSL_CERT_FILE", env)
			bundlePath := env
			if bundlePath == "" {
				bundlePath = testca.DefaultSystemBundle
			}
			wantBundle := parsable(t, bundlePath)

			out := filepath.Join(dir, "out", "trust.p12")
			if err := os.Mkdir(filepath.Dir(out), 0o755); err != nil {
				t.Fatal(err)
			}
			// A stale file is replaced.
			if err := os.WriteFile(out, []byte("stale"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := ca.WriteTrustStore(out); err != nil {
				t.Fatal(err)
			}

			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			certs, err := pkcs12.DecodeTrustStore(data, testca.TrustStorePassword)
			if err != nil {
				t.Fatalf("DecodeTrustStore: %v", err)
			}
			if !slices.ContainsFunc(certs, func(c *x509.Certificate) bool { return bytes.Equal(c.Raw, want.Raw) }) {
				t.Error("truststore does not hold the test CA")
			}
			if len(certs) != len(wantBundle)+1 {
				t.Errorf("truststore holds %d certificates, want the test CA and the bundle's %d", len(certs), len(wantBundle))
			}
			for i, raw := range wantBundle {
				if !slices.ContainsFunc(certs, func(c *x509.Certificate) bool { return bytes.Equal(c.Raw, raw) }) {
					t.Errorf("truststore lacks certificate %d of the bundle", i)
				}
			}
			if _, err := pkcs12.DecodeTrustStore(data, "wrong"); err == nil {
				t.Error("DecodeTrustStore with a wrong password succeeded")
			}

			entries, err := os.ReadDir(filepath.Dir(out))
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			if diff := cmp.Diff([]string{"trust.p12"}, names); diff != "" {
				t.Errorf("files left beside the truststore (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("missing directory", func(t *testing.T) {
		if err := ca.WriteTrustStore(filepath.Join(t.TempDir(), "no", "trust.p12")); err == nil {
			t.Error("WriteTrustStore into a missing directory succeeded")
		}
	})
}

func TestJVMFlags(t *testing.T) {
	tests := []struct {
		path string
		want []string
	}{
		{
			path: "/tmp/e2e/trust.p12",
			want: []string{
				"--host_jvm_args=-Djavax.net.ssl.trustStore=/tmp/e2e/trust.p12",
				"--host_jvm_args=-Djavax.net.ssl.trustStorePassword=changeit",
				"--host_jvm_args=-Djavax.net.ssl.trustStoreType=PKCS12",
			},
		},
		{
			path: "/var/tmp/a b/store",
			want: []string{
				"--host_jvm_args=-Djavax.net.ssl.trustStore=/var/tmp/a b/store",
				"--host_jvm_args=-Djavax.net.ssl.trustStorePassword=changeit",
				"--host_jvm_args=-Djavax.net.ssl.trustStoreType=PKCS12",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, testca.JVMFlags(tt.path)); diff != "" {
				t.Errorf("JVMFlags(%q) (-want +got):\n%s", tt.path, diff)
			}
		})
	}
}
