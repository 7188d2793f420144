//! The stand-in's util_lib: empty.
