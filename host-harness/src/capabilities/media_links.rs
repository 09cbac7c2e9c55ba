//! Links to received media (`media-links.link`): the plugin puts them in `content.mediaUrl`, so
//! omni's media pipeline fetches the file without Meta's token; the front door answers them
//! (`serve` at `GET /media/{instance}/{media-id}`, the omni package on its webhook route) with
//! [`crate::media_route`], downloading the file with the plugin (which checks Meta's size and
//! SHA-256).
//!
//! A link is the host's own promise: valid until its expiry, HMAC-SHA256-signed with a key only
//! the host holds (random per process unless the operator shares one between replicas).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Hands out and checks media links.
pub struct MediaLinks {
    /// Where links point, before `/{instance}/{media-id}` (no trailing slash):
    /// `https://omni-host.example.com/media` for `serve`.
    base_url: String,
    key: Vec<u8>,
    ttl: Duration,
}

impl std::fmt::Debug for MediaLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaLinks").field("base_url", &self.base_url).field("ttl", &self.ttl).finish_non_exhaustive()
    }
}

/// Why a link is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefusal {
    /// The signature does not match: not a link this host gave out.
    Forged,
    /// The link was good, but has expired.
    Expired,
}

impl MediaLinks {
    /// Links under `base_url` (`{base_url}/{instance}/{media-id}`), valid for `ttl`, signed with
    /// `key` (random when `None`).
    pub fn new(base_url: &str, key: Option<Vec<u8>>, ttl: Duration) -> anyhow::Result<Self> {
        let key = match key {
            Some(key) if key.len() >= 16 => key,
            Some(_) => anyhow::bail!("the media link secret needs at least 16 bytes"),
            None => {
                let mut key = vec![0u8; 32];
                getrandom::fill(&mut key).map_err(|e| anyhow::anyhow!("no randomness for the media link key: {e}"))?;
                key
            }
        };
        Ok(Self { base_url: base_url.trim_end_matches('/').to_owned(), key, ttl })
    }

    /// `{base}/{instance}/{media-id}?expires={unix seconds}&signature={hex}`, or `None`
    /// for ids that cannot stand in a path as they are.
    pub fn link(&self, instance_id: &str, media_id: &str) -> Option<String> {
        self.link_at(instance_id, media_id, now())
    }

    fn link_at(&self, instance_id: &str, media_id: &str, now: u64) -> Option<String> {
        if !path_safe(instance_id) || !path_safe(media_id) {
            return None;
        }
        let expires = now.saturating_add(self.ttl.as_secs());
        let signature = self.sign(instance_id, media_id, expires);
        Some(format!("{}/{instance_id}/{media_id}?expires={expires}&signature={signature}", self.base_url))
    }

    /// The instance and media id a request's path names, when it is a link of these: the path
    /// of the base, then exactly two more segments.
    pub fn parse_path<'p>(&self, path: &'p str) -> Option<(&'p str, &'p str)> {
        let base_path =
            self.base_url.split_once("://").map_or("", |(_, rest)| rest.find('/').map_or("", |i| &rest[i..]));
        let rest = path.strip_prefix(base_path)?.strip_prefix('/')?;
        let (instance, media) = rest.split_once('/')?;
        (path_safe(instance) && path_safe(media)).then_some((instance, media))
    }

    /// Checks a link's `expires` and `signature` (in constant time).
    pub fn verify(&self, instance_id: &str, media_id: &str, expires: &str, signature: &str) -> Result<(), LinkRefusal> {
        self.verify_at(instance_id, media_id, expires, signature, now())
    }

    fn verify_at(
        &self,
        instance_id: &str,
        media_id: &str,
        expires: &str,
        signature: &str,
        now: u64,
    ) -> Result<(), LinkRefusal> {
        let expires_at: u64 = expires.parse().map_err(|_| LinkRefusal::Forged)?;
        let given = hex::decode(signature).map_err(|_| LinkRefusal::Forged)?;
        let mac = self.mac(instance_id, media_id, expires_at);
        // `verify_slice` compares in constant time.
        mac.verify_slice(&given).map_err(|_| LinkRefusal::Forged)?;
        if now > expires_at { Err(LinkRefusal::Expired) } else { Ok(()) }
    }

    fn sign(&self, instance_id: &str, media_id: &str, expires: u64) -> String {
        hex::encode(self.mac(instance_id, media_id, expires).finalize().into_bytes())
    }

    fn mac(&self, instance_id: &str, media_id: &str, expires: u64) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(format!("{instance_id}/{media_id}/{expires}").as_bytes());
        mac
    }
}

/// Letters, digits, `-`, `_`, `.`: what instance and media ids are made of.
fn path_safe(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links() -> MediaLinks {
        MediaLinks::new(
            "https://host.example.com/media/",
            Some(b"a-shared-secret-of-some-length".to_vec()),
            Duration::from_secs(600),
        )
        .unwrap()
    }

    fn parts(link: &str) -> (String, String) {
        let query = link.split_once('?').unwrap().1;
        let value = |key: &str| query.split('&').find_map(|p| p.strip_prefix(&format!("{key}="))).unwrap().to_owned();
        (value("expires"), value("signature"))
    }

    #[test]
    fn a_link_verifies_until_it_expires() {
        let links = links();
        let link = links.link_at("acme", "1599807917628930", 1_000).unwrap();
        assert!(link.starts_with("https://host.example.com/media/acme/1599807917628930?expires=1600&signature="));
        let (expires, signature) = parts(&link);
        assert_eq!(links.verify_at("acme", "1599807917628930", &expires, &signature, 1_599), Ok(()));
        assert_eq!(links.verify_at("acme", "1599807917628930", &expires, &signature, 1_601), Err(LinkRefusal::Expired));
    }

    #[test]
    fn a_changed_link_or_another_key_is_forged() {
        let links = links();
        let (expires, signature) = parts(&links.link_at("acme", "42", 1_000).unwrap());
        for (instance, media, expires) in
            [("acme", "43", expires.as_str()), ("other", "42", expires.as_str()), ("acme", "42", "9999")]
        {
            assert_eq!(links.verify_at(instance, media, expires, &signature, 1_000), Err(LinkRefusal::Forged));
        }
        let stranger = MediaLinks::new("https://host.example.com", None, Duration::from_secs(600)).unwrap();
        assert_eq!(stranger.verify_at("acme", "42", &expires, &signature, 1_000), Err(LinkRefusal::Forged));
        assert_eq!(links.verify_at("acme", "42", &expires, "zz", 1_000), Err(LinkRefusal::Forged));
    }

    #[test]
    fn a_links_path_names_its_instance_and_file() {
        let links =
            MediaLinks::new("http://127.0.0.1:8882/webhooks/whatsapp-cloud/media", None, Duration::from_secs(1))
                .unwrap();
        let link = links.link("acme", "42").unwrap();
        let path = link.strip_prefix("http://127.0.0.1:8882").unwrap().split('?').next().unwrap();
        assert_eq!(links.parse_path(path), Some(("acme", "42")));
        for other in [
            "/webhooks/whatsapp-cloud/acme",
            "/webhooks/whatsapp-cloud/media/acme",
            "/webhooks/whatsapp-cloud/media/a/b/c",
            "/media/acme/42",
        ] {
            assert_eq!(links.parse_path(other), None, "{other}");
        }
    }

    #[test]
    fn odd_ids_get_no_link_and_short_secrets_are_refused() {
        assert_eq!(links().link("acme", "../etc"), None);
        assert_eq!(links().link("", "1"), None);
        assert!(MediaLinks::new("https://x", Some(b"short".to_vec()), Duration::from_secs(1)).is_err());
    }
}
