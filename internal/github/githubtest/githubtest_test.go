package githubtest_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/github"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/github/githubtest"
)

// selfSigned returns a TLS certificate for 127.0.0.1 and a pool that
// trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "githubtest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}

// TestStartTLS runs a release through the fake over HTTPS with the
// caller's certificate: every URL it hands out is https, and the asset
// downloads from its browser_download_url.
func TestStartTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	srv := githubtest.Start(&tls.Config{Certificates: []tls.Certificate{cert}})
	defer srv.Close()
	srv.Token = "tls-token"
	srv.TagExists = func(repo, tag string) bool { return repo == "acme/sku" && tag == "v1" }
	for _, u := range []string{srv.URL(), srv.APIURL(), srv.UploadURL()} {
		if !strings.HasPrefix(u, "https://127.0.0.1:") {
			t.Errorf("URL %s, want https://127.0.0.1:PORT...", u)
		}
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	c, err := github.New(github.Options{APIURL: srv.APIURL(), UploadURL: srv.UploadURL(), Token: "tls-token", HTTPClient: client})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rel, err := c.CreateRelease(ctx, "acme/sku", github.NewRelease{Tag: "v1", Draft: true, Prerelease: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(rel.UploadURL, "https://") {
		t.Errorf("upload URL %s, want https", rel.UploadURL)
	}
	file := filepath.Join(t.TempDir(), "a.tar.xz")
	if err := os.WriteFile(file, []byte("tls bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UploadAsset(ctx, rel, "a.tar.xz", file, "application/x-xz"); err != nil {
		t.Fatal(err)
	}
	pub, err := c.PublishRelease(ctx, "acme/sku", rel.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := srv.URL() + "/acme/sku/releases/download/v1/a.tar.xz"
	if len(pub.Assets) != 1 || pub.Assets[0].URL != want {
		t.Fatalf("assets %+v, want one at %s", pub.Assets, want)
	}
	if pub.Assets[0].SHA256 != fmt.Sprintf("%x", sha256.Sum256([]byte("tls bytes"))) {
		t.Errorf("asset digest %s", pub.Assets[0].SHA256)
	}
	resp, err := client.Get(want)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "tls bytes" {
		t.Errorf("download: %s %q", resp.Status, body)
	}

	// A client that does not trust the certificate is refused.
	if _, err := http.Get(want); err == nil {
		t.Error("a client without the certificate downloaded over TLS")
	}
	// Client() trusts the server's certificate too.
	if resp, err := srv.Client().Get(want); err != nil {
		t.Errorf("Client(): %v", err)
	} else {
		resp.Body.Close()
	}

	rels := srv.Releases()
	if len(rels) != 1 || rels[0].Tag != "v1" || rels[0].Draft || !rels[0].Prerelease || len(rels[0].Assets) != 1 {
		t.Errorf("Releases() = %+v", rels)
	}

	srv.Close()
	if _, err := client.Get(want); err == nil {
		t.Error("the server still answers after Close")
	}
}

// TestStartPlain: Start(nil) serves plain HTTP, as New does.
func TestStartPlain(t *testing.T) {
	srv := githubtest.Start(nil)
	defer srv.Close()
	if !strings.HasPrefix(srv.URL(), "http://127.0.0.1:") {
		t.Errorf("URL %s, want http://127.0.0.1:PORT", srv.URL())
	}
	resp, err := http.Get(srv.APIURL() + "repos/acme/sku/releases")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != "[]" {
		t.Errorf("list releases: %s %q", resp.Status, body)
	}
}
