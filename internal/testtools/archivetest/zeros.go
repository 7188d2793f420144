package archivetest

import (
	"archive/tar"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
)

// ZerosTarGz returns a tar.gz archive of one file, name, holding size zero
// bytes, with trailing more zero bytes in the tar stream after its end
// marker (where extractors ignore them): size+trailing bytes of tar stream
// in a file about a thousand times smaller. It is made in a moment, even
// for gigabytes: size and trailing are rounded up to MiB, and one
// compressed MiB of zeros is repeated.
func ZerosTarGz(name string, size, trailing int64) []byte {
	const mib = 1 << 20
	size = (size + mib - 1) / mib * mib
	trailing = (trailing + mib - 1) / mib * mib
	var hdr bytes.Buffer
	tw := tar.NewWriter(&hdr)
	must(tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Size: size, Mode: 0o644, ModTime: mtime, Format: tar.FormatPAX}))
	zeros := make([]byte, mib)
	// The stream: the header, size+trailing bytes of zeros (MiB), then the
	// end marker's 1024 zero bytes.
	mibs := (size + trailing) / mib
	var buf bytes.Buffer
	fw, err := flate.NewWriter(&buf, flate.BestCompression)
	must(err)
	fw.Write(hdr.Bytes())
	var first, seg []byte
	if mibs > 0 {
		fw.Write(zeros)
		must(fw.Flush())
		first = bytes.Clone(buf.Bytes())
		buf.Reset()
	}
	if mibs > 1 {
		// Decoded after a MiB of zeros, it gives a MiB of zeros: its
		// back-references reach only zeros.
		fw.Write(zeros)
		must(fw.Flush())
		seg = bytes.Clone(buf.Bytes())
		buf.Reset()
	}
	fw.Write(zeros[:1024])
	must(fw.Close())
	last := bytes.Clone(buf.Bytes())

	out := bytes.NewBuffer([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff})
	out.Write(first)
	for range max(mibs-1, 0) {
		out.Write(seg)
	}
	out.Write(last)
	crc := crc32.ChecksumIEEE(hdr.Bytes())
	for range mibs {
		crc = crc32.Update(crc, crc32.IEEETable, zeros)
	}
	crc = crc32.Update(crc, crc32.IEEETable, zeros[:1024])
	total := int64(hdr.Len()) + mibs*mib + 1024
	out.Write(binary.LittleEndian.AppendUint32(nil, crc))
	out.Write(binary.LittleEndian.AppendUint32(nil, uint32(total)))
	return out.Bytes()
}
