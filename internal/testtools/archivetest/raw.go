package archivetest

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"fmt"
	"strconv"
)

// TarEntry is one header of a tar archive built by [TarHeaders], with the
// content of a regular file or of a header that has data.
type TarEntry struct {
	Header tar.Header
	Body   string
}

// TarHeaders returns a tar archive of the headers as Go's archive/tar writes
// them, for headers that [Tar] does not write: PAX global headers (Typeflag
// tar.TypeXGlobalHeader with PAXRecords), devices and FIFOs, or names long
// enough that the GNU format writes a long-name header ('L'). Size is set
// from Body when it is zero.
func TarHeaders(entries ...TarEntry) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := e.Header
		if hdr.ModTime.IsZero() && hdr.Typeflag != tar.TypeXGlobalHeader {
			hdr.ModTime = mtime
		}
		if hdr.Size == 0 && hdr.Typeflag != tar.TypeXGlobalHeader {
			hdr.Size = int64(len(e.Body))
		}
		must(tw.WriteHeader(&hdr))
		if e.Body != "" {
			_, err := tw.Write([]byte(e.Body))
			must(err)
		}
	}
	must(tw.Close())
	return buf.Bytes()
}

// RawTarBlock returns one ustar header block with the given name, type,
// size and link name (each of name and linkname at most 100 bytes),
// followed by data padded to whole blocks, for archives that Go's
// archive/tar refuses to write, such as a GNU long name ('L') before a PAX
// header ('x'). Join blocks and end them with [TarEnd].
func RawTarBlock(name string, typeflag byte, linkname, data string) []byte {
	if len(name) > 100 || len(linkname) > 100 {
		panic(fmt.Sprintf("archivetest: name %q or link %q longer than 100 bytes", name, linkname))
	}
	blk := make([]byte, 512)
	copy(blk[0:], name)
	copy(blk[100:], "0000644\x00")
	copy(blk[108:], "0000000\x00")
	copy(blk[116:], "0000000\x00")
	copy(blk[124:], fmt.Sprintf("%011o\x00", len(data)))
	copy(blk[136:], fmt.Sprintf("%011o\x00", mtime.Unix()))
	blk[156] = typeflag
	copy(blk[157:], linkname)
	copy(blk[257:], "ustar\x0000")
	copy(blk[148:156], "        ")
	sum := 0
	for _, b := range blk {
		sum += int(b)
	}
	copy(blk[148:], fmt.Sprintf("%06o\x00 ", sum))
	out := append(blk, data...)
	if pad := len(data) % 512; pad != 0 {
		out = append(out, make([]byte, 512-pad)...)
	}
	return out
}

// PAXRecord returns one PAX extended header record, "LEN key=value\n".
func PAXRecord(key, value string) string {
	size := len(key) + len(value) + 3 // " ", "=", "\n"
	size += len(strconv.Itoa(size))
	rec := strconv.Itoa(size) + " " + key + "=" + value + "\n"
	if len(rec) != size { // the length's own digits carried over
		size = len(rec)
		rec = strconv.Itoa(size) + " " + key + "=" + value + "\n"
	}
	return rec
}

// TarEnd is the end of a tar archive: two zero blocks.
func TarEnd() []byte { return make([]byte, 1024) }

// ZipEntry is one member of a zip archive built by [ZipRaw], with its
// external attributes and creator ("made by" host: 0 MS-DOS/FAT, 3 Unix,
// 10 NTFS) as written, whatever its name or body say.
type ZipEntry struct {
	Name          string
	Body          string
	Creator       uint16
	ExternalAttrs uint32
}

// ZipRaw returns a zip archive of the entries, each stored with its
// creator and external attributes verbatim, as some zip tools write them:
// a Unix symlink mode (0o120777 << 16) with creator FAT, for example.
func ZipRaw(entries ...ZipEntry) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		fh := &zip.FileHeader{Name: e.Name, Method: zip.Deflate, Modified: mtime}
		fh.CreatorVersion = e.Creator << 8 // CreateHeader keeps the high byte
		fh.ExternalAttrs = e.ExternalAttrs
		w, err := zw.CreateHeader(fh)
		must(err)
		_, err = w.Write([]byte(e.Body))
		must(err)
	}
	must(zw.Close())
	return buf.Bytes()
}
