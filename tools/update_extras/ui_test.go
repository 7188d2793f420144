package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/download"
)

// TestUITerminal checks the live status line: drawn with the running
// downloads, cleared before a log line and at the end.
func TestUITerminal(t *testing.T) {
	var buf bytes.Buffer
	u := newUI(&buf, true)
	a := u.start("perso_release", "https://example.com/a.tar.gz?token=x")
	a.progress(download.Progress{Done: 512 << 10, Total: 1 << 20})
	b := u.start("rom_ext_release", "https://example.com/b.zip")
	b.progress(download.Progress{Done: 3 << 20, Total: -1})
	time.Sleep(3 * redrawEvery)
	u.logf("a log line")
	u.end(a)
	u.end(b)
	u.close()
	out := buf.String()
	for _, want := range []string{
		"\r\x1b[Kdownloading: perso_release 50% of 1.0 MiB, rom_ext_release 3.0 MiB",
		"\r\x1b[Ka log line\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%q", want, out)
		}
	}
	if !strings.HasSuffix(out, "\r\x1b[K") {
		t.Errorf("the status line is not cleared at the end:\n%q", out)
	}
	if strings.Contains(out, "token=x") {
		t.Errorf("the output shows a URL's token:\n%q", out)
	}
}

// TestUIPlain checks the output for logs and pipes: one line per download.
func TestUIPlain(t *testing.T) {
	var buf bytes.Buffer
	u := newUI(&buf, false)
	a := u.start("perso_release", "https://example.com/a.tar.gz?token=x")
	a.progress(download.Progress{Done: 1, Total: 2})
	u.end(a)
	u.close()
	if want := "perso_release: downloading https://example.com/a.tar.gz?token=REDACTED\n"; buf.String() != want {
		t.Errorf("output %q, want %q", buf.String(), want)
	}
}

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1536: "1.5 KiB", 64 << 20: "64.0 MiB", 3 << 30: "3.00 GiB"} {
		if got := size(n); got != want {
			t.Errorf("size(%d) = %q, want %q", n, got, want)
		}
	}
}
