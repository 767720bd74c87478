//! Sending one notification: an HTTPS POST of a JSON body to a Slack, Teams or webhook URL,
//! through hyper with rustls (ring, the platform's roots: the one TLS stack of the tool),
//! retried with jittered backoff on 5xx, 429 and transport failures (three attempts within
//! 30 s, 10 s each). Plain HTTP is refused except to a loopback address (tests, a local relay).

use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::adapters::backoff::{Backoff, Jitter, Random, Schedule};

const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

fn schedule() -> Backoff {
    Backoff {
        base: Duration::from_millis(500),
        cap: Duration::from_secs(4),
        jitter: Jitter::Equal,
        max_attempts: Some(3),
        deadline: Some(Duration::from_secs(30)),
    }
}

/// Why a URL is not used: it is neither HTTPS nor HTTP to a loopback address.
pub fn check_url(url: &str) -> Result<http::Uri, String> {
    let uri: http::Uri = url.parse().map_err(|_| "the URL does not parse".to_string())?;
    let host = uri.host().unwrap_or("");
    match uri.scheme_str() {
        Some("https") if !host.is_empty() => Ok(uri),
        Some("http") if matches!(host, "127.0.0.1" | "localhost" | "[::1]" | "::1") => Ok(uri),
        Some("http") => Err("plain http is refused (the URL is a secret); use https".into()),
        _ => Err("the URL is not https".into()),
    }
}

/// Posts `body` with `headers` to `url`; the HTTP status of the answer that ended it, or
/// why it failed (never the URL: it is a secret).
pub async fn post(url: &str, body: String, headers: &[(&str, String)]) -> Result<u16, String> {
    let uri = check_url(url)?;
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(provider)
        .map_err(|e| format!("no TLS roots: {e}"))?
        .https_or_http()
        .enable_http1()
        .build();
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build(https);
    let started = tokio::time::Instant::now();
    let mut schedule = Schedule::new(schedule(), Random::from_entropy());
    loop {
        let mut req = http::Request::post(uri.clone())
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(
                http::header::USER_AGENT,
                concat!("gitgrant/", env!("CARGO_PKG_VERSION")),
            );
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let req = req
            .body(Full::new(Bytes::from(body.clone())))
            .map_err(|e| format!("the request cannot be built: {e}"))?;
        let last = match tokio::time::timeout(ATTEMPT_TIMEOUT, client.request(req)).await {
            Err(_) => format!("no answer within {}s", ATTEMPT_TIMEOUT.as_secs()),
            Ok(Err(e)) => format!("the connection failed: {}", transport_reason(&e)),
            Ok(Ok(resp)) => {
                let status = resp.status().as_u16();
                // read the answer out, so the connection can be reused; its text is not kept
                let _ = resp.into_body().collect().await;
                match status {
                    200..=299 => return Ok(status),
                    429 | 500..=599 => format!("HTTP {status}"),
                    _ => return Err(format!("HTTP {status}: the endpoint refused the message")),
                }
            }
        };
        match schedule.next_wait(started.elapsed(), None) {
            Ok(wait) => tokio::time::sleep(wait).await,
            Err(_) => return Err(format!("{last}, after {} attempt(s)", schedule.attempts())),
        }
    }
}

/// A transport error without the URL (hyper's messages can name it).
fn transport_reason(e: &hyper_util::client::legacy::Error) -> &'static str {
    if e.is_connect() {
        "cannot connect"
    } else {
        "the exchange was cut"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_http_is_used() {
        assert!(check_url("https://hooks.slack.com/services/T0/B0/x").is_ok());
        assert!(check_url("http://127.0.0.1:8080/hook").is_ok());
        assert!(check_url("http://hooks.example/hook").is_err());
        assert!(check_url("ftp://x").is_err());
        assert!(check_url("not a url").is_err());
    }
}
