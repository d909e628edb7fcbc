//! Verifying webhook deliveries.
//!
//! Every delivery is signed with HMAC-SHA256 over its body, in the
//! `X-Tensoras-Signature` header. The encoding is not documented, so every
//! form a server may plausibly send is accepted (`openapi/DECISIONS.md`,
//! "Webhook signatures"):
//!
//! - the digest alone, in hex or base64 (standard or URL-safe, padded or
//!   not), optionally prefixed `sha256=`, or as `v1=<digest>` without a
//!   `t=`: a digest of the body alone;
//! - `t=<unix seconds>,v1=<digest>[,v1=<digest>…]`, where the digest is of
//!   `<t>.<body>` and `t` must be within the tolerance (default 5 minutes)
//!   of now, which defeats replays of timestamped deliveries; several `v1`
//!   values (during a secret rotation) pass if any matches.
//!
//! A digest of the body alone carries no time, so it cannot be checked for
//! freshness: a receiver that must refuse replays of such deliveries should
//! also dedupe on the event's `id`. And since a timestamped digest covers
//! `<t>.<body>`, a digest without `t=` is refused for a body that itself
//! begins with digits and a dot: that body is exactly what some timestamped
//! signature covers, so accepting it would let a captured `t=1000,v1=D`
//! for `body` pass again, as `v1=D` for `1000.body`, without its timestamp
//! being checked. (An event's body is a JSON object, which never begins
//! that way.)
//!
//! The secret is the one given when the webhook was created (or generated
//! then): its bytes as they are, or, for a `whsec_` secret whose rest is
//! base64, those decoded bytes. An empty secret (or only whitespace, or
//! `whsec_` with nothing after it) is refused with [`Error::Config`]: an
//! HMAC keyed with it is one anyone can compute. Comparisons are
//! constant-time.
//!
//! ```
//! use tensoras::types::WebhookPayload;
//!
//! let secret = "whsec_test_secret";
//! let body = br#"{"id":"evt_1","object":"event","type":"ingestion.completed","created_at":1709124056,
//!     "data":{"id":"job_1","object":"ingestion_job","knowledge_base_id":"kb_1","status":"completed"}}"#;
//! // What the server sends, made here with the signing helper.
//! let now = std::time::SystemTime::now()
//!     .duration_since(std::time::UNIX_EPOCH)?
//!     .as_secs();
//! let mut headers = tensoras::header::HeaderMap::new();
//! headers.insert(
//!     tensoras::webhooks::SIGNATURE_HEADER,
//!     tensoras::webhooks::sign(body, secret, now).parse()?,
//! );
//!
//! let event = tensoras::webhooks::verify(body, &headers, secret)?;
//! match &event.payload {
//!     WebhookPayload::IngestionCompleted(job) => println!("job {} done", job.id),
//!     WebhookPayload::BatchCompleted(batch) => println!("batch {} done", batch.id),
//!     other => println!("{} (not handled here)", other.kind()),
//! }
//!
//! // A body changed on the way is refused.
//! let tampered = String::from_utf8_lossy(body).replace("job_1", "job_2");
//! assert!(tensoras::webhooks::verify(tampered.as_bytes(), &headers, secret).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::error::{Error, Result};
use crate::types::WebhookEvent;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use reqwest::header::HeaderMap;
use sha2::Sha256;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The header carrying a delivery's signature.
pub const SIGNATURE_HEADER: &str = "x-tensoras-signature";

/// How far a timestamped signature's `t` may be from now (either way).
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// Why a delivery was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// The request has no `X-Tensoras-Signature` header.
    #[error("the delivery has no {SIGNATURE_HEADER} header")]
    MissingSignature,
    /// The header is there but is no signature this SDK can read.
    #[error("the {SIGNATURE_HEADER} header is malformed: {0}")]
    MalformedSignature(String),
    /// No signature matches the body and the secret: the body was changed,
    /// or the secret is not this webhook's. Also a digest without a
    /// timestamp for a body that begins with digits and a dot (see the
    /// [module documentation](crate::webhooks)).
    #[error("the signature does not match the body and secret")]
    SignatureMismatch,
    /// A timestamped signature outside the tolerance: a replay, or a clock
    /// far off.
    #[error("the signature's timestamp {timestamp} is more than {tolerance:?} from now")]
    Stale {
        /// The signed `t`, in Unix seconds.
        timestamp: u64,
        /// The tolerance it is outside of.
        tolerance: Duration,
    },
    /// The signature is good but the body is not an event.
    #[error("the delivery's body is not an event: {0}")]
    InvalidPayload(String),
}

/// Verifies a delivery and decodes its event: [`Verifier`] with the default
/// tolerance (for a timestamped signature), now.
///
/// An empty secret is refused with [`Error::Config`], whatever the delivery.
pub fn verify(body: &[u8], headers: &HeaderMap, secret: &str) -> Result<WebhookEvent> {
    Verifier::try_new(secret)?.verify(body, headers)
}

/// Checks one signature header value against `body`, with the default
/// tolerance (for a timestamped signature), now.
///
/// An empty secret is refused with [`Error::Config`], whatever the signature.
///
/// ```
/// let body = br#"{"id":"evt_1"}"#;
/// let signature = tensoras::webhooks::sign(body, "whsec_x", 1_700_000_000);
/// let checked = tensoras::webhooks::Verifier::new("whsec_x")
///     .at(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_030))
///     .verify_signature(body, &signature);
/// assert!(checked.is_ok());
/// assert!(tensoras::webhooks::verify_signature(body, "sha256=00ff", "whsec_x").is_err());
/// ```
pub fn verify_signature(body: &[u8], signature: &str, secret: &str) -> Result<()> {
    Verifier::try_new(secret)?.verify_signature(body, signature)
}

/// The header value a server sends for `body` at `timestamp` (Unix
/// seconds): `t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`.
/// For tests of a receiver.
///
/// The secret is not checked here: a signature made with an empty secret
/// (which anyone could make) is one no [`Verifier`] accepts, since
/// verification refuses such a secret.
///
/// ```
/// let value = tensoras::webhooks::sign(b"{}", "whsec_x", 1_700_000_000);
/// assert!(value.starts_with("t=1700000000,v1="));
/// ```
pub fn sign(body: &[u8], secret: &str, timestamp: u64) -> String {
    let mut mac = mac(secret.as_bytes());
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    format!("t={timestamp},v1={}", hex(&digest))
}

/// Verification with a chosen tolerance or clock.
///
/// ```
/// use std::time::Duration;
/// let verifier = tensoras::webhooks::Verifier::new("whsec_x").tolerance(Duration::from_secs(60));
/// assert!(!format!("{verifier:?}").contains("whsec_x"));
/// ```
#[derive(Clone)]
pub struct Verifier {
    keys: Vec<Vec<u8>>,
    tolerance: Duration,
    now: Option<SystemTime>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("secret", &"<redacted>")
            .field("tolerance", &self.tolerance)
            .field("now", &self.now)
            .finish()
    }
}

fn mac(key: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of every length, so this cannot fail; were it to, a
    // zero key would only make every signature fail to match (no panic).
    Hmac::<Sha256>::new_from_slice(key)
        .unwrap_or_else(|_| <Hmac<Sha256> as Mac>::new(&Default::default()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A digest in hex or base64 (either alphabet, padded or not).
fn digest(text: &str) -> std::result::Result<Vec<u8>, String> {
    let text = text.trim();
    if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok((0..64)
            .step_by(2)
            .filter_map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
            .collect());
    }
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let decoded = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
        .ok_or_else(|| "a digest is neither hex nor base64".to_owned())?;
    if decoded.len() != 32 {
        return Err(format!("a digest is {} bytes, not 32", decoded.len()));
    }
    Ok(decoded)
}

/// Why a secret is refused.
const EMPTY_SECRET: &str =
    "the webhook signing secret is empty (an HMAC with an empty key is one anyone can compute)";

/// The HMAC keys `secret` stands for: its bytes, and for a `whsec_` secret
/// whose rest is base64 the decoded bytes too. Never an empty key; a secret
/// that leaves none (empty, only whitespace, `whsec_` and nothing more) is
/// refused.
fn keys(secret: &str) -> Result<Vec<Vec<u8>>> {
    let trimmed = secret.trim();
    let material = trimmed.strip_prefix("whsec_").unwrap_or(trimmed);
    if material.trim().is_empty() {
        return Err(Error::Config(EMPTY_SECRET.into()));
    }
    let mut keys = vec![secret.as_bytes().to_vec()];
    if let Some(rest) = secret.strip_prefix("whsec_") {
        if let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(rest) {
            keys.push(decoded);
        }
    }
    keys.retain(|key| !key.is_empty());
    if keys.is_empty() {
        return Err(Error::Config(EMPTY_SECRET.into()));
    }
    Ok(keys)
}

/// Whether `body` begins with one or more ASCII digits and then a dot: the
/// shape of everything a timestamped digest covers (`<t>.<body>`, `t` a
/// decimal `u64`), so the shape a digest without `t=` must not cover.
fn begins_with_timestamp(body: &[u8]) -> bool {
    let digits = body.iter().take_while(|b| b.is_ascii_digit()).count();
    digits > 0 && body.get(digits) == Some(&b'.')
}

/// What a signature header says: the digests, and the timestamp they cover.
struct Signature {
    timestamp: Option<u64>,
    digests: Vec<Vec<u8>>,
}

fn parse(header: &str) -> std::result::Result<Signature, String> {
    let header = header.trim();
    if header.is_empty() {
        return Err("it is empty".into());
    }
    // `t=…,v1=…` (the `t` may be missing: then the digests cover the body alone).
    let is_keyed = header.split(',').any(|part| {
        let part = part.trim_start();
        part.starts_with("t=") || part.starts_with("v1=")
    });
    if is_keyed {
        let mut timestamp = None;
        let mut digests = Vec::new();
        for part in header.split(',') {
            let (key, value) = part
                .trim()
                .split_once('=')
                .ok_or_else(|| format!("`{}` is not key=value", part.trim()))?;
            match key.trim() {
                "t" => {
                    timestamp = Some(
                        value
                            .trim()
                            .parse::<u64>()
                            .map_err(|_| "`t` is not a Unix time in seconds".to_owned())?,
                    )
                }
                "v1" => digests.push(digest(value)?),
                _ => {} // other schemes (`v0`, ...) are not ours to check
            }
        }
        if digests.is_empty() {
            return Err("it has no `v1` digest".into());
        }
        return Ok(Signature { timestamp, digests });
    }
    let value = header.strip_prefix("sha256=").unwrap_or(header);
    Ok(Signature {
        timestamp: None,
        digests: vec![digest(value)?],
    })
}

impl Verifier {
    /// A verifier for the webhook whose signing secret is `secret`.
    ///
    /// An empty secret (or only whitespace, or `whsec_` with nothing after
    /// it) makes every verification fail with [`Error::Config`];
    /// [`Verifier::try_new`] refuses it here instead.
    pub fn new(secret: &str) -> Self {
        Verifier {
            // No keys: every verification is refused (see `keys_or_refuse`).
            keys: keys(secret).unwrap_or_default(),
            tolerance: DEFAULT_TOLERANCE,
            now: None,
        }
    }

    /// A verifier for the webhook whose signing secret is `secret`, or
    /// [`Error::Config`] if the secret is empty (or only whitespace, or
    /// `whsec_` with nothing after it): a signature keyed with it is one
    /// anyone could make.
    ///
    /// ```
    /// assert!(tensoras::webhooks::Verifier::try_new("whsec_x").is_ok());
    /// for empty in ["", " ", "whsec_"] {
    ///     assert!(matches!(
    ///         tensoras::webhooks::Verifier::try_new(empty),
    ///         Err(tensoras::Error::Config(_))
    ///     ));
    /// }
    /// ```
    pub fn try_new(secret: &str) -> Result<Self> {
        Ok(Verifier {
            keys: keys(secret)?,
            tolerance: DEFAULT_TOLERANCE,
            now: None,
        })
    }

    /// The keys to check with, or the refusal of an empty secret.
    fn keys_or_refuse(&self) -> Result<&[Vec<u8>]> {
        if self.keys.is_empty() {
            return Err(Error::Config(EMPTY_SECRET.into()));
        }
        Ok(self.keys.as_slice())
    }

    /// How far a timestamped signature's `t` may be from now (default 5 minutes).
    #[must_use]
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// Verifies as of `now` instead of the system clock (replaying stored
    /// deliveries, tests).
    #[must_use]
    pub fn at(mut self, now: SystemTime) -> Self {
        self.now = Some(now);
        self
    }

    /// Verifies the delivery (`X-Tensoras-Signature` in `headers`) and
    /// decodes its event. An event type this version does not know decodes
    /// as [`WebhookPayload::Other`](crate::types::WebhookPayload::Other).
    pub fn verify(&self, body: &[u8], headers: &HeaderMap) -> Result<WebhookEvent> {
        // An empty secret is refused before the delivery is looked at.
        self.keys_or_refuse()?;
        let signature = headers
            .get(SIGNATURE_HEADER)
            .ok_or(Error::Webhook(WebhookError::MissingSignature))?
            .to_str()
            .map_err(|_| {
                Error::Webhook(WebhookError::MalformedSignature("it is not text".into()))
            })?;
        self.verify_signature(body, signature)?;
        serde_json::from_slice(body)
            .map_err(|e| Error::Webhook(WebhookError::InvalidPayload(e.to_string())))
    }

    /// Checks one signature header value against `body`: a timestamped one
    /// within the tolerance, or a digest of the body alone (never for a body
    /// that begins with digits and a dot; see the
    /// [module documentation](crate::webhooks)).
    pub fn verify_signature(&self, body: &[u8], signature: &str) -> Result<()> {
        let keys = self.keys_or_refuse()?;
        let signature =
            parse(signature).map_err(|e| Error::Webhook(WebhookError::MalformedSignature(e)))?;
        // The same keys and HMAC serve both forms, and a timestamped digest
        // covers `<t>.<body>`. So a digest without `t=` for a body that begins
        // `<digits>.` is refused: that body is exactly what a timestamped
        // digest covers, and accepting it would let a captured `t=T,v1=D`
        // for `B` pass as `v1=D` for `T.B` with no freshness check. Every
        // timestamped input has this shape and no body-only input accepted
        // here does, so no digest can be valid in both forms. Body-only
        // digests stay accepted otherwise (`openapi/DECISIONS.md`, "Webhook
        // signatures": the server's encoding is not documented), and an
        // event's body is a JSON object, which never begins with a digit.
        if signature.timestamp.is_none() && begins_with_timestamp(body) {
            return Err(Error::Webhook(WebhookError::SignatureMismatch));
        }
        if let Some(timestamp) = signature.timestamp {
            let now = self
                .now
                .unwrap_or_else(SystemTime::now)
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs();
            if now.abs_diff(timestamp) > self.tolerance.as_secs() {
                return Err(Error::Webhook(WebhookError::Stale {
                    timestamp,
                    tolerance: self.tolerance,
                }));
            }
        }
        for key in keys {
            let mut mac = mac(key);
            if let Some(timestamp) = signature.timestamp {
                mac.update(timestamp.to_string().as_bytes());
                mac.update(b".");
            }
            mac.update(body);
            for candidate in &signature.digests {
                // Constant-time: the comparison does not stop at the first difference.
                if mac.clone().verify_slice(candidate).is_ok() {
                    return Ok(());
                }
            }
        }
        Err(Error::Webhook(WebhookError::SignatureMismatch))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const BODY: &[u8] = br#"{"id":"evt_1","object":"event","type":"batch.completed","created_at":1,"data":{"id":"batch_1","object":"batch","endpoint":"/v1/chat/completions","input_file_id":"file-1","completion_window":"24h","status":"completed","created_at":1}}"#;

    fn raw_digest(key: &[u8], payload: &[u8]) -> Vec<u8> {
        let mut mac = mac(key);
        mac.update(payload);
        mac.finalize().into_bytes().to_vec()
    }

    fn at(secs: u64) -> Verifier {
        Verifier::new(SECRET).at(UNIX_EPOCH + Duration::from_secs(secs))
    }

    /// Known answers computed outside the SDK, with Python 3.11's `hmac`
    /// and `base64` modules:
    /// `hmac.new(key, msg, hashlib.sha256).hexdigest()` (and `.digest()`
    /// through `base64.b64encode` / `urlsafe_b64encode`), plus RFC 4231's
    /// test case 2.
    #[test]
    fn known_answer_vectors() {
        // RFC 4231, test case 2.
        let rfc = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        assert!(Verifier::new("Jefe")
            .verify_signature(b"what do ya want for nothing?", rfc)
            .is_ok());
        // `t=1000,v1=` over "1000." + BODY.
        let timestamped =
            "t=1000,v1=fb8f10a44ae2cf182823eff2607b01ae9f6b5405c308b5b39a3c81e1c2ae9b56";
        assert_eq!(sign(BODY, SECRET, 1_000), timestamped);
        assert!(at(1_000).verify_signature(BODY, timestamped).is_ok());
        // The body alone: hex, base64, unpadded URL-safe base64.
        for header in [
            "5eb6b4869164eabab4d0604743b8b757e0a6ebd729e684a19de2e76d1fb9c2e3",
            "sha256=5eb6b4869164eabab4d0604743b8b757e0a6ebd729e684a19de2e76d1fb9c2e3",
            "Xra0hpFk6rq00GBHQ7i3V+Cm69cp5oShneLnbR+5wuM=",
            "Xra0hpFk6rq00GBHQ7i3V-Cm69cp5oShneLnbR-5wuM",
        ] {
            assert!(at(0).verify_signature(BODY, header).is_ok(), "{header}");
        }
        // A `whsec_` secret whose rest is base64 ("raw key bytes"), used decoded.
        assert!(Verifier::new("whsec_cmF3IGtleSBieXRlcw==")
            .verify_signature(
                BODY,
                "5994fe8c5a3d4a7017dd8b38116e5f4191863428394fd49f0a4c370d02f1d1fb"
            )
            .is_ok());
        // One bit off in the digest: refused.
        assert!(at(1_000)
            .verify_signature(
                BODY,
                "t=1000,v1=fb8f10a44ae2cf182823eff2607b01ae9f6b5405c308b5b39a3c81e1c2ae9b57"
            )
            .is_err());
    }

    #[test]
    fn every_plausible_encoding_is_accepted() {
        let d = raw_digest(SECRET.as_bytes(), BODY);
        let b64 = base64::engine::general_purpose::STANDARD.encode(&d);
        let url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&d);
        for header in [
            hex(&d),
            hex(&d).to_uppercase(),
            format!("sha256={}", hex(&d)),
            b64.clone(),
            format!("sha256={b64}"),
            url,
            format!("  {}  ", hex(&d)),
        ] {
            assert!(at(0).verify_signature(BODY, &header).is_ok(), "{header}");
        }
        // Timestamped, with a second (rotated) digest, in any order.
        let signed = sign(BODY, SECRET, 1_000);
        assert!(at(1_000).verify_signature(BODY, &signed).is_ok());
        let v1 = signed.split("v1=").nth(1).unwrap();
        let rotated = format!("v1={},t=1000, v1={v1}", hex(&[0u8; 32]));
        assert!(at(1_100).verify_signature(BODY, &rotated).is_ok());
        // `v1=` without a `t`: the digest covers the body alone.
        let bare = format!("v1={}", hex(&d));
        assert!(at(0).verify_signature(BODY, &bare).is_ok());
        // A whsec_ secret whose rest is base64, used decoded.
        let key = base64::engine::general_purpose::STANDARD.encode(b"raw key bytes");
        let secret = format!("whsec_{key}");
        let d = raw_digest(b"raw key bytes", BODY);
        assert!(Verifier::new(&secret)
            .verify_signature(BODY, &hex(&d))
            .is_ok());
    }

    #[test]
    fn refusals_say_why() {
        let signed = sign(BODY, SECRET, 1_000);
        let reason = |result: Result<()>| match result {
            Err(Error::Webhook(e)) => e,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            reason(at(1_000).verify_signature(b"{}", &signed)),
            WebhookError::SignatureMismatch
        );
        assert_eq!(
            reason(
                Verifier::new("whsec_other")
                    .at(UNIX_EPOCH + Duration::from_secs(1_000))
                    .verify_signature(BODY, &signed)
            ),
            WebhookError::SignatureMismatch
        );
        assert!(matches!(
            reason(at(1_000 + 301).verify_signature(BODY, &signed)),
            WebhookError::Stale {
                timestamp: 1_000,
                ..
            }
        ));
        assert!(matches!(
            reason(at(1_000 - 301).verify_signature(BODY, &signed)),
            WebhookError::Stale { .. }
        ));
        assert!(at(1_300)
            .tolerance(Duration::from_secs(400))
            .verify_signature(BODY, &signed)
            .is_ok());
        for bad in [
            "",
            "sha256=",
            "zz",
            "t=abc,v1=00",
            "t=5",
            "t=5,v1=short",
            "sha256=00ff",
        ] {
            assert!(
                matches!(
                    reason(at(5).verify_signature(BODY, bad)),
                    WebhookError::MalformedSignature(_)
                ),
                "{bad:?}"
            );
        }
        let mut headers = HeaderMap::new();
        assert!(matches!(
            at(0).verify(BODY, &headers),
            Err(Error::Webhook(WebhookError::MissingSignature))
        ));
        headers.insert(
            SIGNATURE_HEADER,
            sign(b"[1]", SECRET, 1_000).parse().unwrap(),
        );
        assert!(matches!(
            at(1_000).verify(b"[1]", &headers),
            Err(Error::Webhook(WebhookError::InvalidPayload(_)))
        ));
    }

    #[test]
    fn events_decode_typed_or_as_other() {
        let mut headers = HeaderMap::new();
        headers.insert(SIGNATURE_HEADER, sign(BODY, SECRET, 7).parse().unwrap());
        let event = at(7).verify(BODY, &headers).unwrap();
        assert!(
            matches!(&event.payload, crate::types::WebhookPayload::BatchCompleted(b) if b.id == "batch_1")
        );
        let future = br#"{"id":"evt_2","object":"event","type":"evaluation.finished","created_at":1,"data":{"score":1}}"#;
        headers.insert(SIGNATURE_HEADER, sign(future, SECRET, 7).parse().unwrap());
        let event = at(7).verify(future, &headers).unwrap();
        assert_eq!(event.payload.kind(), "evaluation.finished");
        assert!(matches!(
            event.payload,
            crate::types::WebhookPayload::Other(_)
        ));
    }

    fn refusal(result: Result<()>) -> WebhookError {
        match result {
            Err(Error::Webhook(e)) => e,
            other => panic!("{other:?}"),
        }
    }

    /// HMAC-SHA256 with an empty key (what anyone can make, knowing no
    /// secret), computed outside the SDK with Python 3.11:
    /// `hmac.new(b"", msg, hashlib.sha256).hexdigest()`, `msg` being
    /// `b"1000." + BODY` and `BODY`.
    const EMPTY_KEY_TIMESTAMPED: &str =
        "t=1000,v1=27affc2cf70e1b8a54fe7a9b56e17613d51fd9de08305de798db79f548a7a9bf";
    const EMPTY_KEY_BODY: &str = "ce8268cf631495ec9962f2b7ff3ac51b7ace94085a6a70b117972884b21bfc9c";
    /// The same with the key `b"whsec_"`, over `BODY`.
    const WHSEC_PREFIX_KEY_BODY: &str =
        "588468bc2f72f7eed3e7b39ec0f8058dc031f54e2d0b7601391758e016154851";

    #[test]
    fn an_empty_secret_is_refused() {
        // `sign` does not check its secret: this is the forgery refused below.
        assert_eq!(sign(BODY, "", 1_000), EMPTY_KEY_TIMESTAMPED);
        let is_config = |result: Result<()>| matches!(result, Err(Error::Config(_)));
        for secret in ["", " ", "\t\n", "whsec_", "whsec_  ", " whsec_ "] {
            assert!(
                matches!(Verifier::try_new(secret), Err(Error::Config(_))),
                "{secret:?}"
            );
            let verifier = Verifier::new(secret).at(UNIX_EPOCH + Duration::from_secs(1_000));
            // Refused before the delivery is looked at.
            assert!(
                matches!(
                    verifier.verify(BODY, &HeaderMap::new()),
                    Err(Error::Config(_))
                ),
                "{secret:?}"
            );
            for header in [EMPTY_KEY_TIMESTAMPED, EMPTY_KEY_BODY, WHSEC_PREFIX_KEY_BODY] {
                assert!(
                    is_config(verifier.verify_signature(BODY, header)),
                    "{secret:?} {header}"
                );
                assert!(
                    is_config(verify_signature(BODY, header, secret)),
                    "{secret:?} {header}"
                );
                let mut headers = HeaderMap::new();
                headers.insert(SIGNATURE_HEADER, header.parse().unwrap());
                assert!(
                    matches!(verifier.verify(BODY, &headers), Err(Error::Config(_))),
                    "{secret:?} {header}"
                );
                assert!(
                    matches!(verify(BODY, &headers, secret), Err(Error::Config(_))),
                    "{secret:?} {header}"
                );
            }
        }
        // A real secret: accepted, and the forgeries do not match it.
        let verifier = Verifier::try_new(SECRET)
            .unwrap()
            .at(UNIX_EPOCH + Duration::from_secs(1_000));
        assert!(verifier
            .verify_signature(
                BODY,
                "t=1000,v1=fb8f10a44ae2cf182823eff2607b01ae9f6b5405c308b5b39a3c81e1c2ae9b56"
            )
            .is_ok());
        for header in [EMPTY_KEY_TIMESTAMPED, EMPTY_KEY_BODY, WHSEC_PREFIX_KEY_BODY] {
            assert_eq!(
                refusal(verifier.verify_signature(BODY, header)),
                WebhookError::SignatureMismatch,
                "{header}"
            );
        }
    }

    /// A captured `t=1000,v1=D` for `BODY` (D is the known answer above,
    /// the HMAC of `"1000." + BODY`) sent again as a digest of the body
    /// alone, for the body `"1000." + BODY`: the HMAC input is the same, but
    /// no timestamp would be checked.
    #[test]
    fn a_timestamp_moved_into_the_body_is_refused() {
        let digest = "fb8f10a44ae2cf182823eff2607b01ae9f6b5405c308b5b39a3c81e1c2ae9b56";
        let b64 = "+48QpErizxgoI+/yYHsBrp9rVAXDCLWzmjyB4cKum1Y=";
        let mut moved = b"1000.".to_vec();
        moved.extend_from_slice(BODY);
        // Sent with its timestamp, long after: stale, as it should be.
        let captured = format!("t=1000,v1={digest}");
        assert!(matches!(
            refusal(at(1_000_000_000).verify_signature(BODY, &captured)),
            WebhookError::Stale {
                timestamp: 1_000,
                ..
            }
        ));
        for header in [
            format!("v1={digest}"),
            digest.to_owned(),
            format!("sha256={digest}"),
            format!("v1={b64}"),
            b64.to_owned(),
        ] {
            for now in [1_000, 1_000 + 301, 1_000_000_000] {
                assert_eq!(
                    refusal(at(now).verify_signature(&moved, &header)),
                    WebhookError::SignatureMismatch,
                    "{header} at {now}"
                );
            }
            let mut headers = HeaderMap::new();
            headers.insert(SIGNATURE_HEADER, header.parse().unwrap());
            assert!(matches!(
                at(1_000_000_000).verify(&moved, &headers),
                Err(Error::Webhook(WebhookError::SignatureMismatch))
            ));
        }
    }

    /// Known answers from Python 3.11, as above, with `SECRET`.
    #[test]
    fn legitimate_deliveries_still_verify() {
        // Timestamped and fresh, within the tolerance either way.
        let timestamped =
            "t=1000,v1=fb8f10a44ae2cf182823eff2607b01ae9f6b5405c308b5b39a3c81e1c2ae9b56";
        for now in [1_000, 1_300, 700] {
            assert!(at(now).verify_signature(BODY, timestamped).is_ok(), "{now}");
        }
        // Timestamped, of a body that itself begins `<digits>.` (the HMAC of
        // "1000.7.5"): the rule is for digests without a timestamp only.
        assert!(at(1_000)
            .verify_signature(
                b"7.5",
                "t=1000,v1=c7e7a6acf42dfc2acaa55930e2f0cb62f2d8a0489263d0babbda234dc089f3d2"
            )
            .is_ok());
        // Body-only, by default: an event, and a body of digits with no dot.
        let body_only = "5eb6b4869164eabab4d0604743b8b757e0a6ebd729e684a19de2e76d1fb9c2e3";
        for header in [body_only.to_owned(), format!("v1={body_only}")] {
            assert!(at(0).verify_signature(BODY, &header).is_ok(), "{header}");
        }
        assert!(at(0)
            .verify_signature(
                b"1000",
                "471b96a2c71eb95923fa0a74bc1629c11a0854416344a7aea3abb983725022fb"
            )
            .is_ok());
        // Body-only of a body that begins `<digits>.`: refused even when
        // truly signed so (the HMAC of "1000.5"), as it cannot be told from a
        // timestamped signature's content.
        assert_eq!(
            refusal(at(0).verify_signature(
                b"1000.5",
                "8a69b50e3f9e98a8d25838b20eecfd8a0debcf336dd05da6442b87121ec7b8a1"
            )),
            WebhookError::SignatureMismatch
        );
        for (body, expected) in [
            (&b"1."[..], true),
            (&b"0.{}"[..], true),
            (&b"18446744073709551615.x"[..], true),
            (&b"1000"[..], false),
            (&b".5"[..], false),
            (&b""[..], false),
            (&b" 1.5"[..], false),
            (&b"1a.5"[..], false),
            (&br#"{"a":1.5}"#[..], false),
        ] {
            assert_eq!(begins_with_timestamp(body), expected, "{body:?}");
        }
    }
}
