// Package extras reads, validates and writes skus/extras.json, the list of
// signed-firmware release archives that the ot_provisioning_exts Bazel
// module turns into http_archive repositories.
//
// The file is a JSON object keyed by Bazel repository name. Each value
// describes one archive:
//
//	{
//	  "perso_release": {
//	    "urls": ["https://example.com/perso-1.0.tar.gz"],
//	    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
//	    "strip_prefix": "perso-1.0"
//	  }
//	}
//
// [Parse] checks every rule of format version 1 (see skus/README.md) and
// reports all problems at once as an [ErrorList] whose entries carry a
// line:column position and a hint on how to fix them. [File.Encode] writes
// the canonical form, which Parse accepts and maps back to the same model.
//
// The package imports only the standard library so that it can be used by
// any tool in the repository without extra dependencies.
package extras
