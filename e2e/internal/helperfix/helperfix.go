// Package helperfix gives the end-to-end suite and the demo the fetch-time
// helper the way consumers get it, with no network: the host's prebuilt
// helper (built here as the publishing tool builds it) and the pinned Go
// distribution of extensions/private/helper.lock.json (from the Go module
// cache, where `go mod download` puts the proxy's zip), served over HTTPS on
// loopback; a test lock that lists that prebuilt; and a Bazel downloader
// config (--experimental_downloader_config) that sends the lock's Go URL to
// the loopback server.
package helperfix

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/helperbuild"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/helperlock"
)

// Fixture is the running loopback server and what points at it.
type Fixture struct {
	// Platform is the host's, such as "linux_amd64".
	Platform string
	// Lock is the test lock: the committed lock, with the prebuilt for
	// Platform served here and the digest of the checkout's helper sources.
	Lock []byte
	// DownloaderConfig is the path of a Bazel downloader config that
	// rewrites the proxy.golang.org URLs of the Go distributions to this
	// server ("" without WithGo).
	DownloaderConfig string
	// BaseURL is the server's, such as https://127.0.0.1:41234.
	BaseURL string
	// GoVersion and GoURL are the lock's Go version and the URL of its
	// distribution for Platform.
	GoVersion, GoURL string
	// Prebuilt is the path of the prebuilt helper that the test lock lists.
	Prebuilt string

	srv *http.Server
}

// Options say what to serve besides the prebuilt helper.
type Options struct {
	// WithGo also serves the pinned Go distribution for the host and writes
	// DownloaderConfig.
	WithGo bool
}

// Start builds the host's prebuilt helper from the checkout at root into
// dir, and serves it (and, with WithGo, the pinned Go distribution) over
// HTTPS on loopback with tlsConfig. Close stops it.
func Start(root, dir string, tlsConfig *tls.Config, opts Options) (*Fixture, error) {
	f := &Fixture{Platform: runtime.GOOS + "_" + runtime.GOARCH}
	lockPath := filepath.Join(root, filepath.FromSlash(helperlock.Path))
	data, err := os.ReadFile(lockPath)
	if err != nil {
		return nil, err
	}
	lock, err := helperlock.Parse(lockPath, data)
	if err != nil {
		return nil, err
	}

	name := "extras_helper-" + f.Platform
	bin := filepath.Join(dir, name)
	if err := BuildPrebuilt(root, bin); err != nil {
		return nil, err
	}
	f.Prebuilt = bin
	binData, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}

	f.GoVersion, f.GoURL = lock.GoVersion, lock.Go[f.Platform].URL
	files := map[string]string{"/helper/" + name: bin}
	goZip := ""
	if opts.WithGo {
		g, ok := lock.Go[f.Platform]
		if !ok {
			return nil, fmt.Errorf("%s pins no Go for %s", lockPath, f.Platform)
		}
		goZip, err = goDistribution(dir, lock.GoVersion, f.Platform, g.SHA256)
		if err != nil {
			return nil, err
		}
		files["/toolchain/@v/"+helperlock.GoModuleVersion(lock.GoVersion, f.Platform)+".zip"] = goZip
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f.BaseURL = "https://" + ln.Addr().String()
	f.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, ok := files[r.URL.Path]
			if !ok {
				http.NotFound(w, r)
				return
			}
			http.ServeFile(w, r, p)
		}),
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: 10 * time.Second,
	}
	go f.srv.ServeTLS(ln, "", "")

	f.Lock, err = TestLock(root, lock, f.Platform, f.BaseURL+"/helper/"+name, binData)
	if err != nil {
		f.Close()
		return nil, err
	}

	if opts.WithGo {
		f.DownloaderConfig = filepath.Join(dir, "downloader.cfg")
		cfg := fmt.Sprintf("# Written by e2e/internal/helperfix: the pinned Go distributions come from loopback.\nrewrite proxy.golang.org/golang.org/toolchain/(.*) %s/toolchain/$1\n", ln.Addr().String())
		if err := os.WriteFile(f.DownloaderConfig, []byte(cfg), 0o644); err != nil {
			f.Close()
			return nil, err
		}
	}
	return f, nil
}

// Close stops the server.
func (f *Fixture) Close() {
	if f.srv != nil {
		f.srv.Close()
	}
}

// TestLock returns lock, the lock of the checkout at root, rewritten to list
// only bin (the prebuilt helper for platform, served at url) and the digest
// of the checkout's helper sources: what a release would commit for them.
func TestLock(root string, lock *helperlock.Lock, platform, url string, bin []byte) ([]byte, error) {
	digest, err := helperbuild.SourcesDigest(root)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(bin)
	lock.Helper = map[string]helperlock.Binary{platform: {SHA256: hex.EncodeToString(sum[:]), URL: url}}
	lock.SourcesSHA256 = digest
	return lock.Encode(), nil
}

// WriteLock writes the test lock into the checkout at dir.
func (f *Fixture) WriteLock(dir string) error {
	return os.WriteFile(filepath.Join(dir, filepath.FromSlash(helperlock.Path)), f.Lock, 0o644)
}

// BuildPrebuilt builds tools/extras_helper of the checkout at root for the
// host into out, with the flags of a published prebuilt: no cgo, -trimpath,
// no VCS stamp, no build ID.
func BuildPrebuilt(root, out string) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	// As `release helper` publishes it: only HELPER_SRCS, the go.mod that
	// the repository rule writes, and the reproducible flags.
	b := &helperbuild.Builder{}
	if err := b.Build(context.Background(), root, runtime.GOOS+"_"+runtime.GOARCH, out); err != nil {
		return fmt.Errorf("building the prebuilt helper from %s: %v", root, err)
	}
	return nil
}

// goDistribution returns the path of the zip of Go goVersion for platform in
// the Go module cache, downloading it through the Go module proxy first if
// needed (`go mod download`), and checks its sha256 against the lock's.
func goDistribution(dir, goVersion, platform, wantSHA256 string) (string, error) {
	mod := "golang.org/toolchain@" + helperlock.GoModuleVersion(goVersion, platform)
	cmd := exec.Command("go", "mod", "download", "-json", mod)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go mod download %s: %v\n%s%s", mod, err, out, stderr.Bytes())
	}
	var info struct{ Zip, Error string }
	if err := json.Unmarshal(out, &info); err != nil || info.Zip == "" {
		return "", fmt.Errorf("go mod download %s: no zip in %s (%v) %s", mod, out, err, info.Error)
	}
	data, err := os.ReadFile(info.Zip)
	if err != nil {
		return "", err
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != wantSHA256 {
		return "", fmt.Errorf("%s: sha256 %x, but the lock pins %s", info.Zip, sum, wantSHA256)
	}
	return info.Zip, nil
}
