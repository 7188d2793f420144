// Package testca makes a throwaway certificate authority for the end-to-end
// tests, so that they can serve archives over HTTPS on loopback to a real
// Bazel without touching the network.
//
// New generates, in memory, an ECDSA P-256 test CA valid for one day and a
// server certificate signed by it for 127.0.0.1, ::1 and localhost. A test
// serves with ServerTLSConfig, trusts the CA from Go with Pool, and makes
// Bazel's Java downloader trust it by writing a PKCS#12 truststore with
// WriteTrustStore and passing JVMFlags as Bazel startup options. The
// truststore also holds the system's CA bundle, so that a Bazel using it can
// still reach real HTTPS hosts.
//
// Nothing here is fit for anything but tests: the keys live only in memory,
// and the truststore password is the well-known TrustStorePassword.
package testca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

// CommonName is the subject common name of the test CA.
const CommonName = "ot_provisioning_exts e2e test CA"

// TrustStorePassword is the password of the truststore that WriteTrustStore
// writes. It is Java's customary default: the store holds only public
// certificates.
const TrustStorePassword = "changeit"

// DefaultSystemBundle is the system CA bundle that WriteTrustStore copies
// when $SSL_CERT_FILE is not set.
const DefaultSystemBundle = "/etc/ssl/certs/ca-certificates.crt"

// caAlias is the truststore alias (PKCS#12 friendly name) of the test CA.
const caAlias = "ot_provisioning_exts-e2e-test-ca"

// CA is an in-memory test certificate authority with one server certificate.
type CA struct {
	cert    *x509.Certificate
	certPEM []byte
	leaf    tls.Certificate
}

// New generates a test CA (valid from an hour ago to a day from now) and a
// server certificate signed by it for the IP addresses 127.0.0.1 and ::1 and
// the DNS name localhost.
func New() (*CA, error) {
	now := time.Now()
	notBefore, notAfter := now.Add(-time.Hour), now.Add(24*time.Hour)

	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("testca: generating CA key: %w", err)
	}
	caSerial, err := serialNumber()
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          caSerial,
		Subject:               pkix.Name{CommonName: CommonName},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("testca: creating CA certificate: %w", err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("testca: parsing CA certificate: %w", err)
	}

	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("testca: generating server key: %w", err)
	}
	leafSerial, err := serialNumber()
	if err != nil {
		return nil, err
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: leafSerial,
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:     []string{"localhost"},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, caCert, &leafKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("testca: creating server certificate: %w", err)
	}
	leafCert, err := x509.ParseCertificate(leafDER)
	if err != nil {
		return nil, fmt.Errorf("testca: parsing server certificate: %w", err)
	}

	return &CA{
		cert:    caCert,
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		leaf: tls.Certificate{
			Certificate: [][]byte{leafDER},
			PrivateKey:  leafKey,
			Leaf:        leafCert,
		},
	}, nil
}

// serialNumber returns a random positive 128-bit certificate serial number.
func serialNumber() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("testca: generating serial number: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil
}

// ServerTLSConfig returns a new TLS configuration that serves the server
// certificate, for an httptest.Server's TLS field or an http.Server.
func (ca *CA) ServerTLSConfig() *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{ca.leaf},
		MinVersion:   tls.VersionTLS12,
	}
}

// CertPEM returns the CA certificate, PEM-encoded.
func (ca *CA) CertPEM() []byte {
	return append([]byte(nil), ca.certPEM...)
}

// Pool returns a new certificate pool holding only the CA certificate, for
// the RootCAs of a Go client in a test.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// WriteTrustStore writes to path a Java truststore in PKCS#12 form, with the
// password TrustStorePassword, that holds the test CA and every certificate
// of the system CA bundle: the file named by $SSL_CERT_FILE, or else
// DefaultSystemBundle. Certificates of the bundle that do not parse are
// skipped; a missing bundle leaves just the test CA. The file is written
// under a temporary name in the same directory and renamed into place.
func (ca *CA) WriteTrustStore(path string) error {
	system, err := systemBundle()
	if err != nil {
		return err
	}
	entries := make([]pkcs12.TrustStoreEntry, 0, 1+len(system))
	entries = append(entries, pkcs12.TrustStoreEntry{Cert: ca.cert, FriendlyName: caAlias})
	for i, c := range system {
		// Java keys truststore entries by alias, case-insensitively, so every
		// alias must be distinct: subjects are not (cross-signed roots).
		sum := sha256.Sum256(c.Raw)
		entries = append(entries, pkcs12.TrustStoreEntry{
			Cert:         c,
			FriendlyName: fmt.Sprintf("system-%04d-%s", i, hex.EncodeToString(sum[:8])),
		})
	}
	data, err := pkcs12.Modern.EncodeTrustStoreEntries(entries, TrustStorePassword)
	if err != nil {
		return fmt.Errorf("testca: encoding truststore: %w", err)
	}
	return writeFileAtomic(path, data)
}

// systemBundle returns the parsable certificates of the system CA bundle, or
// none if there is no bundle.
func systemBundle() ([]*x509.Certificate, error) {
	path := os.Getenv("SSL_CERT_FILE")
	if path == "" {
		path = DefaultSystemBundle
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("testca: reading system CA bundle: %w", err)
	}
	return parseCerts(data), nil
}

// parseCerts returns the certificates of the PEM CERTIFICATE blocks in data
// that parse, skipping the rest.
func parseCerts(data []byte) []*x509.Certificate {
	var certs []*x509.Certificate
	for len(data) > 0 {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			continue
		}
		certs = append(certs, c)
	}
	return certs
}

// writeFileAtomic writes data to a temporary file beside path and renames it
// to path.
func writeFileAtomic(path string, data []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("testca: writing truststore: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("testca: writing truststore: %w", err)
	}
	// The store holds only public certificates; let a Bazel server running
	// as another user read it.
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return fmt.Errorf("testca: writing truststore: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("testca: writing truststore: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("testca: writing truststore: %w", err)
	}
	return nil
}

// JVMFlags returns the Bazel startup options that make Bazel's Java
// downloader trust the truststore that WriteTrustStore wrote to
// trustStorePath. They must come before the command, and changing them
// restarts the Bazel server.
func JVMFlags(trustStorePath string) []string {
	return []string{
		"--host_jvm_args=-Djavax.net.ssl.trustStore=" + trustStorePath,
		"--host_jvm_args=-Djavax.net.ssl.trustStorePassword=" + TrustStorePassword,
		"--host_jvm_args=-Djavax.net.ssl.trustStoreType=PKCS12",
	}
}
