//! What the server received, typed by operation.

use crate::script::{path_matches, v1_path};
use crate::server::MockServer;
use axum::http::HeaderMap;
use serde::de::DeserializeOwned;
use tensoras::operations::Operation;

/// One request to the operation `O`, as the server received it.
///
/// Its secret headers (the key, cookies, anything named like a token) are
/// marked sensitive, so `Debug` shows `Sensitive` instead of their values.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Received<O: Operation> {
    /// The typed request body (`()` for operations without one).
    pub body: O::Body,
    /// The path after `/v1`, with its parameters: `/batches/batch_abc`.
    pub path: String,
    /// The query parameters, decoded, in order.
    pub query: Vec<(String, String)>,
    /// The headers, as received.
    pub headers: HeaderMap,
}

impl MockServer {
    /// The requests to the operation `O` received so far, in order, with
    /// typed bodies. A request whose body does not decode as `O::Body`
    /// (the spec check rejected it with a 422, see [`MockServer::rejected`])
    /// is not among them; [`MockServer::requests`] has every request as it came.
    ///
    /// ```
    /// use tensoras::prelude::*;
    /// use tensoras::operations::CreateEmbedding;
    ///
    /// let server = tensoras_mock::MockServer::start_blocking();
    /// server.blocking_client().embeddings().create(EmbeddingRequest::new("bge-large-en-v1.5", "hi"))?;
    /// let sent = server.received::<CreateEmbedding>();
    /// assert_eq!(sent.len(), 1);
    /// assert_eq!(sent[0].body.model, "bge-large-en-v1.5");
    /// assert_eq!(format!("{:?}", sent[0].headers["authorization"]), "Sensitive");
    /// # Ok::<(), tensoras::Error>(())
    /// ```
    pub fn received<O: Operation>(&self) -> Vec<Received<O>>
    where
        O::Body: DeserializeOwned,
    {
        let requests = self.requests();
        requests
            .into_iter()
            .filter(|r| r.method == O::METHOD.as_str() && path_matches(O::PATH, v1_path(&r.uri)))
            .filter_map(|r| {
                let body =
                    serde_json::from_value(r.body.unwrap_or(serde_json::Value::Null)).ok()?;
                let query = r
                    .uri
                    .split_once('?')
                    .map(|(_, q)| url_decode_pairs(q))
                    .unwrap_or_default();
                Some(Received {
                    body,
                    path: v1_path(&r.uri).to_owned(),
                    query,
                    headers: r.headers,
                })
            })
            .collect()
    }

    /// Scripts the operation `O`: see [`crate::Mock`].
    pub fn mock<O: Operation>(&self) -> crate::Mock<'_, O>
    where
        O::Body: DeserializeOwned,
    {
        crate::Mock::new(self)
    }

    /// Arms a fault: see [`crate::Fault`].
    pub fn inject(&self, fault: crate::Fault) {
        self.lock().faults.push(crate::fault::Armed::new(fault));
    }
}

/// `a=1&b=x%20y` as pairs, `+` as a space (the `application/x-www-form-urlencoded`
/// rules, by the crate `url` uses).
fn url_decode_pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn decodes_query_pairs() {
        assert_eq!(
            super::url_decode_pairs("limit=2&after=a%20b&q=x+y&bad=%zz&flag"),
            [
                ("limit".to_owned(), "2".to_owned()),
                ("after".into(), "a b".into()),
                ("q".into(), "x y".into()),
                ("bad".into(), "%zz".into()),
                ("flag".into(), String::new()),
            ]
        );
    }
}
