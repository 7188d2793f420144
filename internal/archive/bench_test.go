package archive_test

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// This benchmark measures the check's throughput on a large benign
// archive. It calls the check through benchCheck (bench_shim_test.go), so
// that bench.sh can run the same file against the code before the limits
// (whose Check had no context and no limits) and after, side by side.

// benchMembers is the benchmark archive: 50,000 members under rel/, in
// 500 directories of 100: 4 KiB text files (200 MB in all) and, every
// 20th member, a symlink to a file of the directory above.
const benchMembers = 50_000

// benchArchive writes the benchmark archive of type typ ("tar.gz" or
// "zip") to $TMPDIR once and returns its path: the old and the new code
// check the same file.
func benchArchive(b *testing.B, typ string) string {
	b.Helper()
	p := filepath.Join(os.TempDir(), "archive-bench-v1."+typ)
	if _, err := os.Stat(p); err == nil {
		return p
	}
	tmp := p + fmt.Sprintf(".%d.tmp", os.Getpid())
	f, err := os.Create(tmp)
	if err != nil {
		b.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := writeBenchArchive(bw, typ); err != nil {
		b.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, p); err != nil {
		b.Fatal(err)
	}
	return p
}

func writeBenchArchive(w io.Writer, typ string) error {
	rng := rand.New(rand.NewPCG(1, 2))
	const words = "abcdefghijklmnopqrstuvwxyz0123456789_"
	body := make([]byte, 4096)
	fill := func() {
		for i := range body {
			if i%8 == 7 {
				body[i] = '\n'
			} else {
				body[i] = words[rng.IntN(len(words))]
			}
		}
	}
	type member struct {
		name, link string
		dir        bool
	}
	var members []member
	for i := 0; len(members) < benchMembers; i++ {
		d := fmt.Sprintf("rel/d%03d/", i)
		members = append(members, member{name: d, dir: true})
		for j := 0; j < 99 && len(members) < benchMembers; j++ {
			name := fmt.Sprintf("%sf%02d", d, j)
			if j%20 == 19 {
				members = append(members, member{name: name, link: fmt.Sprintf("../d%03d/f00", max(i-1, 0))})
				continue
			}
			members = append(members, member{name: name})
		}
	}
	switch typ {
	case "tar.gz":
		zw, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
		if err != nil {
			return err
		}
		tw := tar.NewWriter(zw)
		for _, m := range members {
			hdr := &tar.Header{Name: m.name, Mode: 0o644, Typeflag: tar.TypeReg, Size: 4096}
			switch {
			case m.dir:
				hdr.Typeflag, hdr.Mode, hdr.Size = tar.TypeDir, 0o755, 0
			case m.link != "":
				hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeSymlink, m.link, 0
			}
			if err := tw.WriteHeader(hdr); err != nil {
				return err
			}
			if hdr.Size > 0 {
				fill()
				tw.Write(body)
			}
		}
		if err := tw.Close(); err != nil {
			return err
		}
		return zw.Close()
	case "zip":
		zw := zip.NewWriter(w)
		for _, m := range members {
			fh := &zip.FileHeader{Name: m.name, Method: zip.Deflate}
			content := body
			switch {
			case m.dir:
				fh.SetMode(os.ModeDir | 0o755)
				content = nil
			case m.link != "":
				fh.SetMode(os.ModeSymlink | 0o777)
				content = []byte(m.link)
			default:
				fh.SetMode(0o644)
				fill()
			}
			fw, err := zw.CreateHeader(fh)
			if err != nil {
				return err
			}
			fw.Write(content)
		}
		return zw.Close()
	}
	return fmt.Errorf("no benchmark archive of type %s", typ)
}

// BenchmarkCheckThroughput checks the benchmark archive, reporting MB/s
// of unpacked content and the time per member.
func BenchmarkCheckThroughput(b *testing.B) {
	for _, typ := range []string{"tar.gz", "zip"} {
		b.Run(typ, func(b *testing.B) {
			p := benchArchive(b, typ)
			rep, err := benchCheck(p, typ, "rel")
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(rep.Size)
			b.ResetTimer()
			for range b.N {
				if _, err := benchCheck(p, typ, "rel"); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchMembers), "ns/member")
		})
	}
}
