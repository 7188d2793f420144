package main

import (
	"net/url"

	redaction "github.com/ot-provisioning-exts/ot-provisioning-exts/internal/redact"
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
// upload URLs would show it in every message naming a request.
func checkTokenFree(o *options, token string) error {
	for _, f := range []struct{ name, value string }{
		{"-server-url", o.serverURL}, {"-repo", o.repo}, {"-api-url", o.apiURL}, {"-upload-url", o.uploadURL},
	} {
		if token != "" && redaction.Contains(f.value, token) {
			return usagef("%s %q carries the GitHub token; pass the token in $GITHUB_TOKEN only (the release's download URLs, built from -server-url and -repo, go into extras.json, which is committed)", f.name, redaction.String(f.value, token))
		}
	}
	if u, err := url.Parse(o.serverURL); err == nil && (u.RawQuery != "" || u.ForceQuery || u.Fragment != "") {
		return usagef("-server-url %q has a query or fragment; give GitHub's web URL alone, such as https://github.com (release download URLs, written to the committed extras.json, are built from it)", redaction.String(o.serverURL, token))
	}
	return nil
}
