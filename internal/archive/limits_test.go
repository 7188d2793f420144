package archive_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ot-provisioning-exts/ot-provisioning-exts/internal/archive"
	at "github.com/ot-provisioning-exts/ot-provisioning-exts/internal/testtools/archivetest"
)

// zeroZip returns a zip archive of n members, each declaring declared bytes
// and holding mib MiB of zeros (one compressed copy, shared by all: the
// archive is small whatever n and mib are).
func zeroZip(t *testing.T, n, mib int, declared uint64) []byte {
	t.Helper()
	zeros := make([]byte, mib<<20)
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	fw.Write(zeros)
	fw.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := range n {
		w, err := zw.CreateRaw(&zip.FileHeader{Name: fmt.Sprintf("bomb/%03d", i), Method: zip.Deflate,
			CRC32: crc32.ChecksumIEEE(zeros), CompressedSize64: uint64(comp.Len()), UncompressedSize64: declared})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(comp.Bytes())
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestCheckLimits checks archives that unpack to far more than they
// weigh, or hold too many members: each is refused by the limit it
// passes, with a *LimitError, having read no more than the limit. The
// old check had no limit: it read them all (minutes for the 100 GiB zip).
func TestCheckLimits(t *testing.T) {
	const mib = 1 << 20
	var files []at.Member
	for i := range 100 {
		files = append(files, at.File(fmt.Sprintf("f%03d", i), "x"))
	}
	tests := []struct {
		name     string
		typ      string
		data     []byte
		lim      archive.Limits
		field    string
		declared bool
		msg      string
	}{
		// A member declaring 100 GiB: refused by the default limit before
		// a byte of it is read.
		{"zip declaring 100 GiB", "zip", zeroZip(t, 1, 1, 100<<30), archive.Limits{}, "MaxUnpacked", true,
			`the archive unpacks to more than 16GiB (17179869184 bytes): its members declare more than that (at member "bomb/000"), so the check stopped after decompressing 0 bytes`},
		// 40 members of 4 MiB, declared and real: stopped at 10 MiB.
		{"zip of 160 MiB", "zip", zeroZip(t, 40, 4, 4*mib), archive.Limits{MaxUnpacked: 10 * mib}, "MaxUnpacked", true,
			`the archive unpacks to more than 10MiB (10485760 bytes): its members declare more than that (at member "bomb/002"), so the check stopped after decompressing 8388608 bytes`},
		{"tar.gz declaring 64 MiB", "tar.gz", at.ZerosTarGz("big", 64*mib, 0), archive.Limits{MaxUnpacked: 10 * mib}, "MaxUnpacked", true,
			`the archive unpacks to more than 10MiB (10485760 bytes): its members declare more than that (at member "big"), so the check stopped after decompressing …`},
		// Zeros after the tar end marker: no member declares them.
		{"tar.gz with 64 MiB after its end", "tar.gz", at.ZerosTarGz("small", 1, 64*mib), archive.Limits{MaxUnpacked: 10 * mib}, "MaxUnpacked", false,
			`the archive unpacks to more than 10MiB (10485760 bytes): the check stopped after decompressing 10485761 bytes …`},
		{"too many members", "tar", at.Tar(files...), archive.Limits{MaxEntries: 10}, "MaxEntries", false,
			`the archive has more than 10 members, the limit (at member "f010"); the check stopped there`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := archive.Check(context.Background(), writeTemp(t, tt.data), tt.typ, "", tt.lim)
			var le *archive.LimitError
			if !errors.As(err, &le) {
				t.Fatalf("Check = %+v, %v; want a *LimitError", rep, err)
			}
			if le.Field != tt.field || le.Declared != tt.declared {
				t.Errorf("LimitError %+v, want Field %s, Declared %v", le, tt.field, tt.declared)
			}
			if max := tt.lim.MaxUnpacked; max != 0 && le.Read > max+1 {
				t.Errorf("read %d bytes, more than the limit, %d", le.Read, max)
			}
			if !matches(err.Error(), tt.msg) {
				t.Errorf("error:\n got %q\nwant %q", err, tt.msg)
			}
		})
	}
	// Under the limits, the same archives pass.
	if _, err := archive.Check(context.Background(), writeTemp(t, zeroZip(t, 2, 4, 4*mib)), "zip", "", archive.Limits{MaxUnpacked: 8 * mib}); err != nil {
		t.Errorf("8 MiB zip, MaxUnpacked 8 MiB: %v", err)
	}
	if _, err := archive.Check(context.Background(), writeTemp(t, at.Tar(files...)), "tar", "", archive.Limits{MaxEntries: 100}); err != nil {
		t.Errorf("100 members, MaxEntries 100: %v", err)
	}
}

// chainedLinks returns a tar archive of 20,000 links that each resolve
// through a chain of 39 links whose targets walk 1,600 path components
// ("a/.." 800 times): every link stays inside, and each took the old
// check 62,400 steps to resolve, twice (35 s and more in all). With the
// chain's resolutions remembered, each costs a few steps.
func chainedLinks(n int) ([]byte, int) {
	members := []at.Member{at.Dir("a/"), at.Symlink("l00", "a")}
	walk := strings.Repeat("a/../", 800)
	for i := 1; i < 40; i++ {
		members = append(members, at.Symlink(fmt.Sprintf("l%02d", i), fmt.Sprintf("%sl%02d", walk, i-1)))
	}
	for i := range n {
		members = append(members, at.Symlink(fmt.Sprintf("m/%05d", i), "../l39"))
	}
	members = append(members, at.File("m/l/x", "")) // keep m a real directory
	return at.Tar(members...), len(members)
}

// TestLinkResolutionLinear checks that resolving the links of an archive
// costs steps in proportion to its members, however the links chain: the
// old check took 20,000 * 2 * 62,400 steps on this archive.
func TestLinkResolutionLinear(t *testing.T) {
	data, members := chainedLinks(20_000)
	steps, err := archive.ResolveSteps(data, "tar", "")
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if limit := int64(64 * members); steps > limit {
		t.Errorf("resolving %d members took %d steps, more than %d", members, steps, limit)
	}
	t.Logf("%d members, %d steps", members, steps)
}

// TestLinkResolutionBudget checks that links that cannot be remembered
// (their targets go through paths that do not exist) are refused once the
// check's budget of steps is spent, with an error naming the cause.
func TestLinkResolutionBudget(t *testing.T) {
	members := []at.Member{at.Dir("a/"), at.Symlink("l00", "a")}
	walk := strings.Repeat("x/../", 800) // x does not exist: taken lexically
	for i := 1; i < 40; i++ {
		members = append(members, at.Symlink(fmt.Sprintf("l%02d", i), fmt.Sprintf("%sl%02d", walk, i-1)))
	}
	for i := range 2000 {
		members = append(members, at.Symlink(fmt.Sprintf("m/%05d", i), "../l39"))
	}
	_, err := archive.CheckReader(context.Background(), bytes.NewReader(at.Tar(members...)), "tar", "", archive.Limits{})
	want := `which cannot be resolved: resolving the archive's symbolic links takes more than 1024 steps per path resolved: its links lead through each other too often`
	if err == nil || !strings.HasPrefix(err.Error(), `symlink "`) || !strings.Contains(err.Error(), want) {
		t.Errorf("Check = %v, want an error naming the budget of steps", err)
	}
}

// countdownCtx is a context whose Err reports it canceled from its nth
// call on.
type countdownCtx struct {
	context.Context
	n, calls atomic.Int64
}

func (c *countdownCtx) Err() error {
	if c.calls.Add(1) >= c.n.Load() {
		return context.Canceled
	}
	return nil
}

// TestCheckCancel cancels a check at each point where it looks at its
// context, in every phase (members, content, link resolution, the end of
// the stream): each returns context.Canceled. A last run with a context
// that is never canceled counts those points and passes. The old check
// took no context.
func TestCheckCancel(t *testing.T) {
	data, _ := chainedLinks(300)
	for _, tc := range []struct {
		name, typ string
		data      []byte
	}{
		{"links", "tar", data},
		{"zeros", "tar.gz", at.ZerosTarGz("big", 4<<20, 1<<20)},
		{"zip", "zip", zeroZip(t, 3, 1, 1<<20)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeTemp(t, tc.data)
			never := &countdownCtx{Context: context.Background()}
			never.n.Store(1 << 62)
			if _, err := archive.Check(never, path, tc.typ, "", archive.Limits{}); err != nil {
				t.Fatal(err)
			}
			points := never.calls.Load()
			if points < 3 {
				t.Fatalf("the check looked at its context %d times", points)
			}
			// Every point up to 50, then about 50 more spread to the last.
			for n := int64(1); n <= points; n += max(1, min(n/50, points/50)) {
				ctx := &countdownCtx{Context: context.Background()}
				ctx.n.Store(n)
				_, err := archive.Check(ctx, path, tc.typ, "", archive.Limits{})
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("canceled at look %d of %d: Check = %v, want context.Canceled", n, points, err)
				}
			}
			t.Logf("%d points", points)
			// A cause (such as a signal's) is wrapped too.
			cause := errors.New("interrupt signal received")
			ctx, cancel := context.WithCancelCause(context.Background())
			cancel(cause)
			_, err := archive.Check(ctx, path, tc.typ, "", archive.Limits{})
			if !errors.Is(err, context.Canceled) || !errors.Is(err, cause) {
				t.Errorf("canceled with a cause: Check = %v, want context.Canceled and the cause", err)
			}
		})
	}
}

// TestTypeFromContent checks archives whose first bytes are not of the
// type their name gives: each is refused naming both formats. The old
// check tried to open them as the type and failed with the decoder's error
// (or, for tar.zst, did not look at them at all).
func TestTypeFromContent(t *testing.T) {
	release := at.Release("rel")
	tarData := at.Tar(release...)
	zstd := append([]byte{0x28, 0xb5, 0x2f, 0xfd}, make([]byte, 100)...)
	tests := []struct {
		name, typ   string
		data        []byte
		want, found string
		msg         string
	}{
		{"tar.gz that is a zip", "tar.gz", at.Zip(release...), "gzip", "zip",
			"the file is not a tar.gz archive: it starts like a zip archive (50 4b 03 04 …"},
		{"zip that is xz", "zip", at.TarXz(release...), "zip", "xz",
			"the file is not a zip archive: it starts like an xz file (fd 37 7a 58 5a 00 00 04), not with zip's magic bytes; if the file is right, declare its real type"},
		{"tar.zst that is gzip", "tar.zst", at.TarGz(release...), "zstd", "gzip", "the file is not a tar.zst archive: it starts like a gzip file (1f 8b …"},
		{"tar.xz that is zstd", "tar.xz", zstd, "xz", "zstd", "the file is not a tar.xz archive: it starts like a zstd file (28 b5 2f fd 00 00 00 00), not with xz's magic bytes; …"},
		{"tar.bz2 that is tar", "tar.bz2", tarData, "bzip2", "tar", "the file is not a tar.bz2 archive: it starts like a tar archive (…"},
		{"deb that is tar", "deb", tarData, "ar", "tar", "the file is not a deb archive: it starts like a tar archive (…"},
		{"tar with a bad checksum", "tar", oldStyleTar(t, tarData, true), "tar", "", "the file is not a tar archive: it starts with no known archive format (…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := archive.Check(context.Background(), writeTemp(t, tt.data), tt.typ, "", archive.Limits{})
			var te *archive.TypeMismatchError
			if !errors.As(err, &te) {
				t.Fatalf("Check = %v, want a *TypeMismatchError", err)
			}
			if te.Type != tt.typ || te.Want != tt.want || te.Found != tt.found {
				t.Errorf("TypeMismatchError %+v, want type %s, want %s, found %s", te, tt.typ, tt.want, tt.found)
			}
			if !matches(err.Error(), tt.msg) {
				t.Errorf("error:\n got %q\nwant %q", err, tt.msg)
			}
		})
	}

	// What it cannot open it refuses, loudly, once its magic bytes match.
	_, err := archive.Check(context.Background(), writeTemp(t, zstd), "tar.zst", "", archive.Limits{})
	if !errors.Is(err, archive.ErrUnsupported) {
		t.Errorf("zstd as tar.zst: Check = %v, want ErrUnsupported", err)
	}
	// An old-style (V7) tar, with no "ustar" magic, passes on its checksum.
	if _, err := archive.Check(context.Background(), writeTemp(t, oldStyleTar(t, tarData, false)), "tar", "", archive.Limits{}); err != nil {
		t.Errorf("old-style tar: %v", err)
	}
}

// oldStyleTar rewrites the first header of the USTAR archive data as an
// old-style one: no magic, version, owner names or prefix, with its
// checksum recomputed (or, if corrupt, off by one).
func oldStyleTar(t *testing.T, data []byte, corrupt bool) []byte {
	t.Helper()
	b := bytes.Clone(data)
	if string(b[257:262]) != "ustar" {
		t.Fatalf("not a ustar header: %q", b[257:265])
	}
	clear(b[257:500])
	copy(b[148:156], "        ")
	var sum int
	for _, c := range b[:512] {
		sum += int(c)
	}
	if corrupt {
		sum++
	}
	copy(b[148:156], fmt.Sprintf("%06o\x00 ", sum))
	if _, err := tar.NewReader(bytes.NewReader(b)).Next(); err != nil && !corrupt {
		t.Fatalf("old-style header: %v", err)
	}
	return b
}
