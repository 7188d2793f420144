package archive

import (
	"bytes"
	"context"
)

// ResolveSteps checks the tar-based archive data like CheckReader and
// returns the steps that resolving its paths and links took.
func ResolveSteps(data []byte, typ, stripPrefix string) (int64, error) {
	b := &budget{ctx: context.Background(), lim: DefaultLimits}
	c := newChecker(typ, stripPrefix, b)
	_, err := c.run(&streamReader{Reader: bytes.NewReader(data), b: b})
	return c.full.root.resolver.steps, err
}
