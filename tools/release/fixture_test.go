package main

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// fixture holds the repositories every world starts from (initRepos),
// made once per test process: each world copies them, which takes no git
// command, instead of running the dozen that make them.
var fixture struct {
	sync.Mutex
	dir  string   // the made fixture; "" until then
	made []string // every directory made for it, removed by removeFixture
}

// fixtureDir returns the fixture's directory, making it on first use.
func (w *world) fixtureDir() string {
	w.t.Helper()
	fixture.Lock()
	defer fixture.Unlock()
	if fixture.dir == "" {
		dir, err := os.MkdirTemp("", "release-test-fixture-")
		if err != nil {
			w.t.Fatal(err)
		}
		fixture.made = append(fixture.made, dir)
		worldAt(w.t, dir).initRepos()
		fixture.dir = dir
	}
	return fixture.dir
}

// copyFixture copies the fixture's repositories into the world's
// directory and points what names a path (the checkout's remote, the
// remote's hook) at the copies.
func (w *world) copyFixture() {
	w.t.Helper()
	src := w.fixtureDir()
	if err := os.CopyFS(w.dir, os.DirFS(src)); err != nil {
		w.t.Fatalf("copying the fixture %s: %v", src, err)
	}
	config := filepath.Join(w.work, ".git", "config")
	b, err := os.ReadFile(config)
	if err != nil {
		w.t.Fatal(err)
	}
	if !strings.Contains(string(b), src) {
		w.t.Fatalf("%s does not name the fixture's remote %s:\n%s", config, src, b)
	}
	w.write(config, strings.ReplaceAll(string(b), src, w.dir))
	w.writeHook()
}

// removeFixture removes the fixture's directories, after the tests.
func removeFixture() {
	fixture.Lock()
	defer fixture.Unlock()
	for _, dir := range fixture.made {
		os.RemoveAll(dir)
	}
}
