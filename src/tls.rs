//! TLS set-up.
//!
//! With the default `rustls` feature, reqwest is built without a crypto provider of its own and
//! this crate installs rustls's `ring` provider as the process default, once, unless the
//! application installed one first. `ring` builds with a C compiler alone, where reqwest's own
//! default (`aws-lc-rs`) needs cmake and takes several times longer to compile.

/// Makes sure a rustls crypto provider is installed before a reqwest client is built.
pub(crate) fn init() {
    #[cfg(feature = "rustls")]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            if rustls::crypto::CryptoProvider::get_default().is_none() {
                // Losing a race with another installer is fine: a provider is then installed.
                let _ = rustls::crypto::ring::default_provider().install_default();
            }
        });
    }
}
