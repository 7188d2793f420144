// Command testlock gives a copy of this checkout the fetch-time helper the
// way consumers get it, for the benchmarks (e2e/bench): it builds the
// host's prebuilt helper from the checkout as `release helper` builds it,
// and rewrites the checkout's lock to list it at a URL the caller serves,
// with the digest of the checkout's helper sources.
//
//	go run ./e2e/cmd/testlock -checkout DIR -out FILE -url URL
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/e2e/internal/helperfix"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/helperlock"
)

func main() {
	checkout := flag.String("checkout", "", "the copy of this checkout whose lock to rewrite")
	out := flag.String("out", "", "where to write the prebuilt helper")
	url := flag.String("url", "", "the URL the caller serves -out at")
	flag.Parse()
	if *checkout == "" || *out == "" || *url == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: go run ./e2e/cmd/testlock -checkout DIR -out FILE -url URL")
		os.Exit(2)
	}
	if err := run(*checkout, *out, *url); err != nil {
		fmt.Fprintln(os.Stderr, "testlock:", err)
		os.Exit(1)
	}
}

func run(checkout, out, url string) error {
	if err := helperfix.BuildPrebuilt(checkout, out); err != nil {
		return err
	}
	bin, err := os.ReadFile(out)
	if err != nil {
		return err
	}
	lockPath := filepath.Join(checkout, filepath.FromSlash(helperlock.Path))
	data, err := os.ReadFile(lockPath)
	if err != nil {
		return err
	}
	lock, err := helperlock.Parse(lockPath, data)
	if err != nil {
		return err
	}
	test, err := helperfix.TestLock(checkout, lock, runtime.GOOS+"_"+runtime.GOARCH, url, bin)
	if err != nil {
		return err
	}
	return os.WriteFile(lockPath, test, 0o644)
}
