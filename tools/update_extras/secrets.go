package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/errtext"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/extras"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/redact"
)

// redactingEnv returns a copy of e whose stdout and stderr hide the GitHub
// token ($GITHUB_TOKEN, the only secret the tool reads), the passwords of
// URLs and anything shaped like a GitHub token, whatever prints them:
// messages, diffs, notes and progress. Call flush before returning: the
// writers hold back the end of an unfinished line.
func redactingEnv(e *env) (_ *env, flush func()) {
	token := e.getenv("GITHUB_TOKEN")
	stdout := redact.NewWriter(e.stdout, token)
	stderr := redact.NewWriter(e.stderr, token)
	re := *e
	re.stdout, re.stderr = stdout, stderr
	return &re, func() {
		stdout.Flush()
		stderr.Flush()
	}
}

// secretsProblem says why rawURL must not be written to extras.json, which
// is committed: it carries user information, or the GitHub token anywhere
// (as a query value, in the path, ...). It returns "" if the URL is fine,
// else what is wrong followed by "; extras.json is committed, so it must
// not hold secrets", for the caller to add the fix. The message never
// shows the secret.
func (c *cli) secretsProblem(rawURL string) string {
	const why = "; extras.json is committed, so it must not hold secrets"
	if shown, ok := extras.RedactUserInfo(rawURL); ok {
		return fmt.Sprintf("URL %s carries credentials (user information)%s", errtext.Quote(redact.String(shown, c.token)), why)
	}
	if c.token == "" || !redact.Contains(rawURL, c.token) {
		return ""
	}
	where := ""
	if _, query, ok := strings.Cut(rawURL, "?"); ok && redact.Contains(query, c.token) {
		where = " in its query"
	}
	return fmt.Sprintf("URL %s carries the GitHub token ($GITHUB_TOKEN)%s%s", errtext.Quote(redact.String(rawURL, c.token)), where, why)
}

// checkSecrets fails, naming entry name, if a URL must not be written to
// extras.json (see secretsProblem).
func (c *cli) checkSecrets(name string, urls []string) error {
	var problems []string
	for _, u := range urls {
		if msg := c.secretsProblem(u); msg != "" {
			problems = append(problems, fmt.Sprintf("entry %s: %s: use a URL without them", errtext.Quote(name), msg))
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n"))
	}
	return nil
}
