//! The dummy's host-side FT extension: empty.
