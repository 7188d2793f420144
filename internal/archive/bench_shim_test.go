package archive_test

import (
	"context"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/archive"
)

// benchCheck is Check with a context and the default limits (bench.sh
// replaces this file by one for the code before them).
func benchCheck(path, typ, strip string) (*archive.Report, error) {
	return archive.Check(context.Background(), path, typ, strip, archive.DefaultLimits)
}
