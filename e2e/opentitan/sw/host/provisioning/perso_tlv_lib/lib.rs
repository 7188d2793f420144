//! The stand-in's perso_tlv_lib: empty.
