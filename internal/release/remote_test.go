package release

import (
	"context"
	"encoding/base64"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/download"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/gitcli"
)

func TestRepositoryFromURL(t *testing.T) {
	const gh = "https://github.com"
	for _, tc := range []struct {
		url, server, want string
	}{
		{"https://github.com/acme/ot-sku", gh, "acme/ot-sku"},
		{"https://github.com/acme/ot-sku.git", gh, "acme/ot-sku"},
		{"https://github.com/acme/ot-sku/", gh, "acme/ot-sku"},
		{"https://github.com/acme/ot-sku.git/", gh, "acme/ot-sku"},
		{"https://GitHub.com/Acme/ot.sku", "", "Acme/ot.sku"},
		{"ssh://git@github.com/acme/ot-sku.git", gh, "acme/ot-sku"},
		{"ssh://git@github.com:22/acme/ot-sku", gh, "acme/ot-sku"},
		{"git@github.com:acme/ot-sku.git", gh, "acme/ot-sku"},
		{"git@github.com:acme/ot-sku", "", "acme/ot-sku"},
		{"https://ghe.example.com/acme/ot-sku.git", "https://ghe.example.com", "acme/ot-sku"},
		{"http://127.0.0.1:8080/acme/ot-sku.git", "http://127.0.0.1:8080", "acme/ot-sku"},
		// Refused.
		{"http://github.com/acme/ot-sku", gh, ""},                           // http against an https server
		{"https://127.0.0.1:8080/acme/ot-sku", "http://127.0.0.1:8080", ""}, // scheme differs
		{"http://127.0.0.1:9090/acme/ot-sku", "http://127.0.0.1:8080", ""},  // port differs
		{"https://gitlab.com/acme/ot-sku", gh, ""},
		{"https://github.com.evil.com/acme/ot-sku", gh, ""},
		{"https://github.com/acme/ot-sku/tree/main", gh, ""},
		{"https://github.com/acme", gh, ""},
		{"https://github.com/acme/", gh, ""},
		{"https://github.com//ot-sku", gh, ""},
		{"https://github.com/acme/.git", gh, ""},
		{"https://github.com/acme/..", gh, ""},
		{"https://x-access-token:ghp_x@github.com/acme/ot-sku.git", gh, ""},
		{"https://ghp_x@github.com/acme/ot-sku.git", gh, ""},
		{"https://github.com/acme/ot-sku?x=1", gh, ""},
		{"ssh://github.com/acme/ot-sku.git", gh, ""},
		{"ssh://root@github.com/acme/ot-sku.git", gh, ""},
		{"ssh://git:pw@github.com/acme/ot-sku.git", gh, ""},
		{"git@gitlab.com:acme/ot-sku.git", gh, ""},
		{"me@github.com:acme/ot-sku.git", gh, ""},
		{"git@github.com:/acme/ot-sku.git", gh, ""},
		{"git@github.com:acme/ot-sku/x.git", gh, ""},
		{"git://github.com/acme/ot-sku.git", gh, ""},
		{"file:///srv/git/ot-sku.git", gh, ""},
		{"/srv/git/ot-sku.git", gh, ""},
		{"../ot-sku", gh, ""},
		{"acme/ot-sku", gh, ""},
		{"", gh, ""},
	} {
		got, ok := RepositoryFromURL(tc.url, tc.server)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("RepositoryFromURL(%q, %q) = %q, %v; want %q", tc.url, tc.server, got, ok, tc.want)
		}
	}
}

func TestGitTokenEnv(t *testing.T) {
	basic := "AUTHORIZATION: basic " + base64.StdEncoding.EncodeToString([]byte("x-access-token:tok"))
	for _, tc := range []struct {
		count string
		want  []string
	}{
		{"", []string{"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=http.https://github.com/.extraheader", "GIT_CONFIG_VALUE_0=" + basic}},
		{"2", []string{"GIT_CONFIG_COUNT=3", "GIT_CONFIG_KEY_2=http.https://github.com/.extraheader", "GIT_CONFIG_VALUE_2=" + basic}},
		{"bogus", []string{"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=http.https://github.com/.extraheader", "GIT_CONFIG_VALUE_0=" + basic}},
	} {
		if got := gitTokenEnv(tc.count, "https://github.com", "tok"); !slices.Equal(got, tc.want) {
			t.Errorf("gitTokenEnv(%q) = %q, want %q", tc.count, got, tc.want)
		}
	}
}

// TestGitTokenEnvKeepsConfig: git sees both the configuration already in
// the environment and the token's header.
func TestGitTokenEnvKeepsConfig(t *testing.T) {
	t.Setenv("GIT_CONFIG_COUNT", "1")
	t.Setenv("GIT_CONFIG_KEY_0", "user.name")
	t.Setenv("GIT_CONFIG_VALUE_0", "Kept")
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("GIT_CONFIG_GLOBAL", os.DevNull)
	cmd := exec.Command("git", "config", "--list")
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), GitTokenEnv("https://github.com", "tok")...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"user.name=Kept", "http.https://github.com/.extraheader=AUTHORIZATION: basic "} {
		if !strings.Contains(string(out), want) {
			t.Errorf("git config --list lacks %q:\n%s", want, out)
		}
	}
}

// TestCheckRemote: the remote's push URL must name Config.Repository; the
// messages name the remote and its URL without credentials.
func TestCheckRemote(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if out, err := exec.Command("git", "init", "--quiet", dir).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	repo := &gitcli.Repo{Dir: dir}
	for _, tc := range []struct {
		url, push, server string
		insecure          bool
		want              string // "" for accepted, else a part of the error
	}{
		{url: "https://github.com/acme/ot-sku.git"},
		{url: "git@github.com:ACME/ot-sku.git"},
		{url: "/srv/ot-sku.git", push: "https://github.com/acme/ot-sku"},
		{url: "https://github.com/evil/ot-sku.git", want: "remote origin is https://github.com/evil/ot-sku.git, which is evil/ot-sku, not acme/ot-sku (-repo); the tags and branches would go to another repository than the release: fix -remote or -repo"},
		{url: "https://github.com/acme/ot-sku.git", push: "https://github.com/evil/ot-sku.git", want: "which is evil/ot-sku"},
		{url: "/srv/ot-sku.git", want: "remote origin is /srv/ot-sku.git, which names no repository on https://github.com; the tags and branches must go to acme/ot-sku (-repo): point -remote at a remote whose push URL is https://github.com/OWNER/NAME(.git), ssh://git@github.com/OWNER/NAME.git or git@github.com:OWNER/NAME.git"},
		{url: "https://x-access-token:ghp_secret@github.com/acme/ot-sku.git", want: "remote origin is https://REDACTED@github.com/acme/ot-sku.git, which names no repository"},
		{url: "http://127.0.0.1:8080/acme/ot-sku.git", server: "http://127.0.0.1:8080", insecure: true},
		{url: "http://127.0.0.1:8080/acme/ot-sku.git", server: "http://127.0.0.1:8080", want: "plain http: git would send the token in clear"},
		{url: "http://gh.example.com/acme/ot-sku.git", server: "http://gh.example.com", insecure: true, want: "plain http"},
	} {
		exec.Command("git", "-C", dir, "remote", "remove", "origin").Run()
		if out, err := exec.Command("git", "-C", dir, "remote", "add", "origin", tc.url).CombinedOutput(); err != nil {
			t.Fatalf("git remote add: %v\n%s", err, out)
		}
		if tc.push != "" {
			exec.Command("git", "-C", dir, "remote", "set-url", "--push", "origin", tc.push).Run()
		}
		r := NewRunner(Config{Repository: "acme/ot-sku", ServerURL: tc.server, Download: download.Options{AllowInsecure: tc.insecure}, Secrets: []string{"ghp_secret"}}, repo, nil, io.Discard)
		err := r.checkRemote(ctx)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("remote %s (push %q): %v", tc.url, tc.push, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("remote %s (push %q): %v\nwant an error with %q", tc.url, tc.push, err, tc.want)
		case err != nil && strings.Contains(err.Error(), "ghp_secret"):
			t.Errorf("the error shows the credentials: %v", err)
		}
	}
	// A remote that does not exist.
	r := NewRunner(Config{Repository: "acme/ot-sku", Remote: "nowhere"}, repo, nil, io.Discard)
	if err := r.checkRemote(ctx); err == nil || !strings.Contains(err.Error(), "reading the URL of remote nowhere") {
		t.Errorf("missing remote: %v", err)
	}
}
