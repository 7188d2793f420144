// The default host-side FT extension of ot_provisioning_exts: it injects no
// extra certificates and has nothing to report after boot.
use anyhow::Result;
use perso_tlv_lib::PersoBlobBuilder;
use util_lib::response::PersonalizeResponse;

pub fn ft_inject_certs_ext(_perso_blob_builder: &mut PersoBlobBuilder) -> Result<()> {
    Ok(())
}

pub fn ft_post_boot_ext(_response: &PersonalizeResponse) -> Result<Option<String>> {
    Ok(None)
}
