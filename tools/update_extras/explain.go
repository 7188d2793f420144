package main

import (
	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/github"
	"github.com/ot-provisioning-exts/ot-provisioning-exts/tools/internal/flaghint"
)

// explain returns the message of err as the user reads it: flaghint names
// the flags this tool shares with the release tool, and this is the one
// place that names its own (-repo, -tag) in the libraries' typed errors.
// Every error, warning and FAIL line that the tool prints goes through it.
func explain(err error) string {
	return flaghint.Explain(err, func(e error) (string, bool) {
		nf, ok := e.(*github.NotFoundError)
		if !ok {
			return "", false
		}
		hint := "; check -repo and -tag"
		if nf.Token {
			hint += ", and that GITHUB_TOKEN may read the repository"
		} else {
			hint += "; for a private repository set GITHUB_TOKEN"
		}
		return nf.Error() + hint, true
	})
}
