package main

import (
	"net/url"

	redaction "github.com/ot-provisioning-exts/ot-provisioning-exts/internal/redact"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/errtext"
)

// redactingEnv returns a copy of e whose stdout and stderr hide the GitHub
// token ($GITHUB_TOKEN, the only secret the tool reads), the passwords of
// URLs and anything shaped like a GitHub token, whatever prints them: the
// report lines, Bazel's output and the errors. Call flush before
// returning: the writers hold back the end of an unfinished line.
func redactingEnv(e *env) (_ *env, flush func()) {
	token := e.getenv("GITHUB_TOKEN")
	stdout := redaction.NewWriter(e.stdout, token)
	stderr := redaction.NewWriter(e.stderr, token)
	re := *e
	re.stdout, re.stderr = stdout, stderr
	return &re, func() {
		stdout.Flush()
		stderr.Flush()
	}
}

// checkTokenFree refuses flags that carry the token. The download URLs
// that the release writes to extras.json, which is committed, are
// -server-url/-repo/releases/download/TAG/ASSET, so neither may hold it
// (nor a query, which would swallow the rest of the URL); the API and
// upload URLs would show it in every message naming a request. The
// -bazel-arg options are recorded in the committed state file and given
// to Bazel, and -title and -notes are published on the release, so none
// may hold it either. No URL may carry credentials (user:password@): the
// token goes in $GITHUB_TOKEN only.
func checkTokenFree(o *options, token string) error {
	type flagValue struct{ name, value string }
	values := []flagValue{
		{"-server-url", o.serverURL}, {"-repo", o.repo}, {"-api-url", o.apiURL}, {"-upload-url", o.uploadURL},
		{"-title", o.title}, {"-notes", o.notes},
	}
	for _, a := range o.bazelArgs {
		values = append(values, flagValue{"-bazel-arg", a})
	}
	for _, f := range values {
		if token == "" || !redaction.Contains(f.value, token) {
			continue
		}
		switch f.name {
		case "-bazel-arg":
			return usagef("-bazel-arg %s carries the GitHub token; Bazel must never get it (its options are also recorded in the committed state file): give the build what it needs otherwise, never the token", errtext.Quote(redaction.String(f.value, token)))
		case "-title", "-notes":
			return usagef("%s %s carries the GitHub token, and it would be published on the GitHub release; leave the token out", f.name, errtext.Quote(redaction.String(f.value, token)))
		}
		return usagef("%s %s carries the GitHub token; pass the token in $GITHUB_TOKEN only (the release's download URLs, built from -server-url and -repo, go into extras.json, which is committed)", f.name, errtext.Quote(redaction.String(f.value, token)))
	}
	for _, f := range values[:4] {
		if f.name == "-repo" || f.value == "" {
			continue
		}
		if u, err := url.Parse(f.value); err == nil && u.User != nil {
			return usagef("%s %s carries credentials (user:password@); give the URL without them and the token in $GITHUB_TOKEN only", f.name, errtext.Quote(redaction.String(f.value, token)))
		}
	}
	if u, err := url.Parse(o.serverURL); err == nil && (u.RawQuery != "" || u.ForceQuery || u.Fragment != "") {
		return usagef("-server-url %s has a query or fragment; give GitHub's web URL alone, such as https://github.com (release download URLs, written to the committed extras.json, are built from it)", errtext.Quote(redaction.String(o.serverURL, token)))
	}
	return nil
}
