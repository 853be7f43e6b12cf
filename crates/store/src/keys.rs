//! The server's secret key, kept outside the database (a key file beside it, or one named by the
//! configuration), and what is derived from it: the audit chain's key (`domain::audit::AuditKey`)
//! and the key that seals secrets at rest (TOTP secrets, session data, the inbox's channel
//! addresses and robot secrets), so that a copy of the database alone can neither rewrite the
//! audit log undetected nor reveal a second factor or where a person's messages go.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::{Store, StoreError};

/// Prefix of a sealed value; what follows is base64 of the 24-byte nonce and the ciphertext.
const SEALED_PREFIX: &str = "sealed1:";

/// 32 random bytes, written as 64 hex digits in the key file.
#[derive(Clone)]
pub struct ServerKey([u8; 32]);

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerKey(…)")
    }
}

impl ServerKey {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// Reads a key file's text: 64 hex digits, surrounding whitespace ignored.
    pub fn from_hex(text: &str) -> std::result::Result<Self, String> {
        let text = text.trim();
        if text.len() != 64 {
            return Err(format!("the key must be 64 hex digits, found {} characters", text.len()));
        }
        let bytes = hex::decode(text).map_err(|_| "the key must be 64 hex digits".to_owned())?;
        let mut key = [0u8; 32];
        key.copy_from_slice(&bytes);
        Ok(Self(key))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// A subkey for one purpose (HMAC-SHA256 of the purpose under the key).
    fn derive(&self, purpose: &str) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(b"anwei key derivation\0");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// A short public fingerprint of the key (it reveals nothing of the key itself).
    pub fn fingerprint(&self) -> String {
        hex::encode(&self.derive("fingerprint")[..8])
    }

    /// The key of the audit chain's keyed hashes and of its anchors.
    pub fn audit_key(&self) -> domain::audit::AuditKey {
        domain::audit::AuditKey(self.derive("audit chain"))
    }

    pub(crate) fn sealer(&self) -> Sealer {
        Sealer { cipher: XChaCha20Poly1305::new(&self.derive("sealed columns").into()), lookup_key: self.derive("keyed lookups") }
    }
}

/// Seals and opens values stored in the database.
#[derive(Clone)]
pub(crate) struct Sealer {
    cipher: XChaCha20Poly1305,
    /// Keys the hashes a secret is looked up by (a tip's receipt code), so that the database
    /// alone does not let one test guesses against them.
    lookup_key: [u8; 32],
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(…)")
    }
}

impl Sealer {
    /// Seals `plaintext` for the column `purpose` (bound into the ciphertext, so a value cannot
    /// be moved to another column or row kind).
    pub(crate) fn seal(&self, purpose: &str, plaintext: &str) -> String {
        use base64::Engine;
        let mut nonce = [0u8; 24];
        rand::rng().fill_bytes(&mut nonce);
        let ciphertext = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: plaintext.as_bytes(), aad: purpose.as_bytes() })
            .expect("XChaCha20-Poly1305 encrypts any message that fits in memory");
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        format!("{SEALED_PREFIX}{}", base64::engine::general_purpose::STANDARD_NO_PAD.encode(sealed))
    }

    /// Opens a value sealed by `seal`. A value without the prefix is one stored before sealing
    /// began and is returned as it is (`seal_legacy_secrets` seals those at start-up).
    pub(crate) fn open(&self, purpose: &str, stored: &str) -> crate::Result<String> {
        use base64::Engine;
        let Some(body) = stored.strip_prefix(SEALED_PREFIX) else { return Ok(stored.to_owned()) };
        let corrupt = || StoreError::Corrupt(format!("a sealed {purpose} cannot be opened (damaged, or sealed with another key)"));
        let bytes = base64::engine::general_purpose::STANDARD_NO_PAD.decode(body).map_err(|_| corrupt())?;
        if bytes.len() < 24 {
            return Err(corrupt());
        }
        let (nonce, ciphertext) = bytes.split_at(24);
        let plaintext = self.cipher.decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: purpose.as_bytes() }).map_err(|_| corrupt())?;
        String::from_utf8(plaintext).map_err(|_| corrupt())
    }

    /// The keyed hash (HMAC-SHA256, hex) a secret of `purpose` is stored and looked up by.
    pub(crate) fn lookup_hash(&self, purpose: &str, secret: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.lookup_key).expect("HMAC takes a key of any length");
        mac.update(purpose.as_bytes());
        mac.update(b"\0");
        mac.update(secret.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Seals bytes (an attachment) for `purpose`: the 24-byte nonce followed by the ciphertext.
    pub(crate) fn seal_bytes(&self, purpose: &str, plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; 24];
        rand::rng().fill_bytes(&mut nonce);
        let ciphertext = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: plaintext, aad: purpose.as_bytes() })
            .expect("XChaCha20-Poly1305 encrypts any message that fits in memory");
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        sealed
    }

    /// Opens bytes sealed by `seal_bytes`.
    pub(crate) fn open_bytes(&self, purpose: &str, sealed: &[u8]) -> crate::Result<Vec<u8>> {
        let corrupt = || StoreError::Corrupt(format!("a sealed {purpose} cannot be opened (damaged, or sealed with another key)"));
        if sealed.len() < 24 {
            return Err(corrupt());
        }
        let (nonce, ciphertext) = sealed.split_at(24);
        self.cipher.decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: purpose.as_bytes() }).map_err(|_| corrupt())
    }

    pub(crate) fn is_sealed(stored: &str) -> bool {
        stored.starts_with(SEALED_PREFIX)
    }
}

impl Store {
    /// A secret column's value as stored: sealed for `purpose` when the store has the server's
    /// key, as it is otherwise (a store opened only for tests or tools).
    pub(crate) fn seal_column(&self, purpose: &str, text: &str) -> String {
        match &self.sealer {
            Some(sealer) => sealer.seal(purpose, text),
            None => text.to_owned(),
        }
    }

    /// A secret column's value as read: opened, or as it is when stored before sealing began. A
    /// sealed value without the key is an error, never taken for the value itself.
    pub(crate) fn open_column(&self, purpose: &str, stored: String) -> crate::Result<String> {
        match &self.sealer {
            Some(sealer) => sealer.open(purpose, &stored),
            None if Sealer::is_sealed(&stored) => Err(StoreError::Corrupt(format!("a sealed {purpose} needs the server's key"))),
            None => Ok(stored),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_purpose() {
        let key = ServerKey::generate();
        let sealer = key.sealer();
        let sealed = sealer.seal("totp", "JBSWY3DPEHPK3PXP");
        assert!(!sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_ne!(sealed, sealer.seal("totp", "JBSWY3DPEHPK3PXP"), "a fresh nonce each time");
        assert_eq!(sealer.open("totp", &sealed).unwrap(), "JBSWY3DPEHPK3PXP");
        assert!(sealer.open("other", &sealed).is_err(), "bound to its purpose");
        assert!(ServerKey::generate().sealer().open("totp", &sealed).is_err(), "another key cannot open it");
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(sealer.open("totp", &tampered).is_err());
        assert_eq!(sealer.open("totp", "legacy-plain").unwrap(), "legacy-plain");
    }

    #[test]
    fn key_files_are_64_hex_digits() {
        let key = ServerKey::generate();
        assert_eq!(ServerKey::from_hex(&format!(" {}\n", key.to_hex())).unwrap().to_hex(), key.to_hex());
        for bad in ["", "abc", &"g".repeat(64), &"0".repeat(63)] {
            assert!(ServerKey::from_hex(bad).is_err(), "{bad:?}");
        }
        assert_ne!(key.audit_key().0, key.derive("sealed columns"), "subkeys differ by purpose");
    }
}
