//! Sending one GitHub REST request through octocrab with the retry policy applied, and
//! reading every page of a list by following `Link: rel="next"`. Works on raw JSON
//! (`serde_json::Value`) so that what GitHub said is kept as it said it.

use std::collections::HashSet;
use std::time::SystemTime;

use http::{HeaderMap, Method, Uri};
use octocrab::Octocrab;
use serde_json::Value;

use super::error::Error;
use super::retry::{RetryPolicy, Verdict};
use crate::adapters::backoff::{Random, Schedule};
use crate::adapters::progress::{Failed, StillTrying};

/// Items per page asked for (GitHub's maximum).
pub const PER_PAGE: u32 = 100;

/// At most this many pages are read from one list (100,000 items): a bound, not a limit
/// any real pull request or team reaches.
pub const MAX_PAGES: usize = 1_000;

/// Whether a request may be sent twice without harm. Unsafe requests (creating a comment)
/// are retried only on rate limits, where GitHub refused them without acting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    Safe,
    Unsafe,
}

pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

pub struct Transport {
    pub octo: Octocrab,
    pub base: Uri,
    pub policy: RetryPolicy,
}

impl Transport {
    /// One request (`path_and_query` relative to the API root), retried by the policy.
    /// Returns only 2xx answers.
    pub async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<&Value>,
        repeat: Repeat,
    ) -> Result<Reply, Error> {
        let name = method_name(&method);
        let path = path_only(path_and_query).to_owned();
        let attempt = || self.attempt(&method, path_and_query, body);
        with_retries(self.policy, name, path, repeat, Random::from_entropy(), attempt).await
    }

    /// One attempt: a transport failure comes back as its description.
    async fn attempt(&self, method: &Method, path_and_query: &str, body: Option<&Value>) -> Result<Reply, String> {
        let response = match *method {
            Method::GET => self.octo._get(path_and_query).await,
            Method::POST => self.octo._post(path_and_query, body).await,
            Method::PATCH => self.octo._patch(path_and_query, body).await,
            Method::PUT => self.octo._put(path_and_query, body).await,
            _ => unreachable!("the adapter sends GET, POST, PATCH and PUT only"),
        }
        .map_err(|e| describe(&e))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = self.octo.body_to_string(response).await.map_err(|e| describe(&e))?;
        Ok(Reply { status, headers, body })
    }

    /// A GET whose answer is JSON.
    pub async fn get_json(&self, path: &str) -> Result<Value, Error> {
        let reply = self.send(Method::GET, path, None, Repeat::Safe).await?;
        parse_json("GET", path, &reply.body)
    }

    /// A POST or PATCH with a JSON body whose answer is JSON.
    pub async fn write_json(&self, method: Method, path: &str, body: &Value, repeat: Repeat) -> Result<Value, Error> {
        let name = method_name(&method);
        let reply = self.send(method, path, Some(body), repeat).await?;
        parse_json(name, path, &reply.body)
    }

    /// Every item of a list endpoint: `per_page=100`, then each `rel="next"` link until none.
    pub async fn get_all(&self, path: &str) -> Result<Vec<Value>, Error> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut next = Some(format!("{path}{sep}per_page={PER_PAGE}"));
        let mut seen = HashSet::new();
        let mut items = Vec::new();
        while let Some(page) = next.take() {
            if !seen.insert(page.clone()) {
                return Err(Error::BadLink {
                    method: "GET",
                    path: path.to_owned(),
                    link: page,
                    reason: "points back to a page already read",
                });
            }
            if seen.len() > MAX_PAGES {
                return Err(Error::BadLink {
                    method: "GET",
                    path: path.to_owned(),
                    link: page,
                    reason: "goes past the 1000-page bound",
                });
            }
            let reply = self.send(Method::GET, &page, None, Repeat::Safe).await?;
            match parse_json("GET", &page, &reply.body)? {
                Value::Array(list) => items.extend(list),
                other => {
                    return Err(Error::Decode {
                        method: "GET",
                        path: path_only(&page).to_owned(),
                        reason: format!("expected a list, got {}", kind(&other)),
                    });
                }
            }
            if let Some(link) = next_link(&reply.headers) {
                next = Some(self.relative(path, &link)?);
            }
        }
        Ok(items)
    }

    /// A next-page link as a path relative to the API root. Links to another scheme or host
    /// are refused: the token must not leave for them, nor their data be taken as GitHub's.
    fn relative(&self, path: &str, link: &str) -> Result<String, Error> {
        let bad = |reason| Error::BadLink {
            method: "GET",
            path: path.to_owned(),
            link: link.to_owned(),
            reason,
        };
        let uri: Uri = link.parse().map_err(|_| bad("is not a URL"))?;
        let absolute = uri.scheme().is_some() || uri.authority().is_some();
        if absolute && (uri.scheme() != self.base.scheme() || uri.authority() != self.base.authority()) {
            return Err(bad("leaves the API host"));
        }
        let pq = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        if !pq.starts_with('/') {
            return Err(bad("is not an absolute path"));
        }
        Ok(pq.to_owned())
    }
}

/// Makes `attempt` until it answers 2xx, fails for good, or the policy gives up. Waits with
/// `tokio::time`, so a test with paused time sees the schedule exactly.
async fn with_retries<F, Fut>(
    policy: RetryPolicy,
    name: &'static str,
    path: String,
    repeat: Repeat,
    random: Random,
    mut attempt: F,
) -> Result<Reply, Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Reply, String>>,
{
    let start = tokio::time::Instant::now();
    let mut schedule = Schedule::new(policy.schedule(), random);
    let mut still_trying = StillTrying::default();
    let mut earlier: Option<String> = None;
    loop {
        let (outcome, cut_short) = within_deadline(&policy, start, attempt()).await;
        let (verdict, last) = match outcome {
            Err(reason) => {
                if repeat == Repeat::Unsafe {
                    return Err(Error::Transport {
                        method: name,
                        path,
                        reason,
                    });
                }
                (Verdict::Backoff, reason)
            }
            Ok(reply) if (200..300).contains(&reply.status) => return Ok(reply),
            Ok(reply) => {
                let verdict = policy.classify(reply.status, &reply.headers, &reply.body, SystemTime::now());
                let error = status_error(name, &path, &reply);
                match verdict {
                    Verdict::Fail => return Err(error),
                    Verdict::Backoff if repeat == Repeat::Unsafe => return Err(error),
                    v => (v, error.to_string()),
                }
            }
        };
        let server_wait = match verdict {
            Verdict::RateLimited(wait) => Some(wait),
            _ => None,
        };
        let last = match (cut_short, earlier.take()) {
            (true, Some(before)) => before,
            _ => last,
        };
        earlier = Some(last.clone());
        let attempts = schedule.attempts();
        let Ok(wait) = schedule.next_wait(start.elapsed(), server_wait) else {
            return Err(match verdict {
                Verdict::RateLimited(wait) => Error::RateLimited {
                    method: name,
                    path,
                    wait,
                    deadline: policy.deadline,
                },
                _ => Error::DeadlineExceeded {
                    method: name,
                    path,
                    attempts: schedule.attempts(),
                    deadline: policy.deadline,
                    last,
                },
            });
        };
        still_trying.note(&Failed {
            call: &format!("{name} {path}"),
            elapsed: start.elapsed(),
            attempts,
            last: &last,
            deadline: policy.deadline,
        });
        tokio::time::sleep(wait).await;
    }
}

/// One attempt, given what is left of the deadline (at most the attempt timeout). `true` with
/// it when the deadline, not the attempt timeout, cut it short: that says nothing about the
/// server, so the failure to report is the one before it.
async fn within_deadline<Fut>(
    policy: &RetryPolicy,
    start: tokio::time::Instant,
    attempt: Fut,
) -> (Result<Reply, String>, bool)
where
    Fut: std::future::Future<Output = Result<Reply, String>>,
{
    let remaining = policy.deadline.saturating_sub(start.elapsed());
    let limit = remaining.min(policy.attempt_timeout);
    match tokio::time::timeout(limit, attempt).await {
        Ok(outcome) => (outcome, false),
        Err(_) => (
            Err(format!("no answer within {}s", limit.as_secs_f64())),
            limit < policy.attempt_timeout,
        ),
    }
}

/// The URL of `rel="next"` in a `Link` header (RFC 8288), if any.
pub fn next_link(headers: &HeaderMap) -> Option<String> {
    for value in headers.get_all(http::header::LINK) {
        let Ok(text) = value.to_str() else { continue };
        let mut rest = text;
        while let Some(open) = rest.find('<') {
            let after = &rest[open + 1..];
            let close = after.find('>')?;
            let url = &after[..close];
            let params_end = after[close..].find('<').map_or(after.len(), |i| close + i);
            let params = &after[close + 1..params_end];
            let is_next = params.split(';').any(|p| {
                let Some((k, v)) = p.split_once('=') else {
                    return false;
                };
                k.trim().eq_ignore_ascii_case("rel")
                    && v.trim()
                        .trim_end_matches(',')
                        .trim()
                        .trim_matches('"')
                        .split_ascii_whitespace()
                        .any(|r| r.eq_ignore_ascii_case("next"))
            });
            if is_next {
                return Some(url.to_owned());
            }
            rest = &after[params_end..];
        }
    }
    None
}

fn parse_json(method: &'static str, path: &str, body: &str) -> Result<Value, Error> {
    serde_json::from_str(body).map_err(|e| Error::Decode {
        method,
        path: path_only(path).to_owned(),
        reason: e.to_string(),
    })
}

/// The error for a non-2xx answer: GitHub's `message` (and the first of its `errors`).
fn status_error(method: &'static str, path: &str, reply: &Reply) -> Error {
    let message = match serde_json::from_str::<Value>(&reply.body) {
        Ok(v) => {
            let mut m = v["message"].as_str().unwrap_or("").to_owned();
            if let Some(first) = v["errors"].as_array().and_then(|e| e.first()) {
                let detail = first["message"]
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| first.to_string());
                m = format!("{m} ({detail})");
            }
            m
        }
        Err(_) => String::new(),
    };
    let message = if message.trim().is_empty() {
        let start: String = reply.body.chars().take(200).collect();
        if start.trim().is_empty() {
            "no message".to_owned()
        } else {
            start
        }
    } else {
        message
    };
    Error::Status {
        method,
        path: path.to_owned(),
        status: reply.status,
        message,
    }
}

fn method_name(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PATCH => "PATCH",
        Method::PUT => "PUT",
        _ => "?",
    }
}

/// The path without its query, for messages.
fn path_only(path_and_query: &str) -> &str {
    path_and_query.split('?').next().unwrap_or(path_and_query)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// An octocrab error and its causes on one line (octocrab's own text may carry a backtrace).
fn describe(e: &octocrab::Error) -> String {
    let mut parts = Vec::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    if parts.is_empty() {
        parts.push(e.to_string().lines().next().unwrap_or("").to_owned());
    }
    parts.dedup();
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::backoff::Jitter;
    use http::HeaderValue;
    use std::cell::RefCell;
    use std::time::Duration;
    use tokio::time::Instant;

    fn reply(status: u16, headers: &[(&'static str, &str)]) -> Reply {
        let mut h = HeaderMap::new();
        for (k, v) in headers {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        Reply {
            status,
            headers: h,
            body: String::new(),
        }
    }

    fn exact() -> RetryPolicy {
        RetryPolicy {
            deadline: Duration::from_millis(400),
            attempt_timeout: Duration::from_secs(5),
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(100),
            jitter: Jitter::None,
            unspecified_rate_limit_wait: Duration::from_secs(60),
        }
    }

    /// Runs the retry loop over scripted answers (the last repeats); returns the result and
    /// when (since the start) each attempt began.
    async fn run(
        policy: RetryPolicy,
        random: Random,
        script: Vec<(Duration, Reply)>,
    ) -> (Result<Reply, Error>, Vec<Duration>) {
        run_at("/x", policy, random, script).await
    }

    async fn run_at(
        path: &str,
        policy: RetryPolicy,
        random: Random,
        script: Vec<(Duration, Reply)>,
    ) -> (Result<Reply, Error>, Vec<Duration>) {
        let start = Instant::now();
        let times = RefCell::new(Vec::new());
        let result = with_retries(policy, "GET", path.into(), Repeat::Safe, random, || {
            let n = times.borrow().len();
            times.borrow_mut().push(start.elapsed());
            let (delay, answer) = &script[n.min(script.len() - 1)];
            let (delay, answer) = (
                *delay,
                Reply {
                    headers: answer.headers.clone(),
                    body: answer.body.clone(),
                    ..*answer
                },
            );
            async move {
                tokio::time::sleep(delay).await;
                Ok(answer)
            }
        })
        .await;
        (result, times.into_inner())
    }

    fn ms(v: &[u64]) -> Vec<Duration> {
        v.iter().map(|m| Duration::from_millis(*m)).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_retried_for_long_says_it_is_still_trying_every_thirty_seconds() {
        let lines = crate::adapters::progress::capture();
        let policy = RetryPolicy {
            deadline: Duration::from_secs(90),
            max_backoff: Duration::from_secs(5),
            ..exact()
        };
        // 502 for 20 attempts (0, 10 ms, 30 ms ... 5.11 s, then every 5 s to 55.11 s), then an answer
        let mut script: Vec<(Duration, Reply)> = (0..20).map(|_| (Duration::ZERO, reply(502, &[]))).collect();
        script.push((Duration::ZERO, reply(200, &[])));
        let (result, times) = run_at("/still-trying", policy, Random::seeded(1), script).await;
        assert_eq!(result.unwrap().status, 200);
        assert_eq!(times.len(), 21, "{times:?}");
        let mine: Vec<String> = lines
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains("GET /still-trying"))
            .cloned()
            .collect();
        assert_eq!(mine.len(), 2, "after 10 s and after 40 s: {mine:?}");
        assert!(
            mine[0].starts_with("gitgrant: still trying GET /still-trying: 11 attempt(s) in 10s, last: ")
                && mine[0].contains("502")
                && mine[0].ends_with("; gives up 90s after the first attempt"),
            "{mine:?}"
        );
        assert!(mine[1].contains(": 17 attempt(s) in 40s, "), "{mine:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn server_errors_back_off_exponentially_until_the_deadline() {
        let (result, times) = run(exact(), Random::seeded(1), vec![(Duration::ZERO, reply(502, &[]))]).await;
        // waits 10, 20, 40, 80, 100, 100; the next 100 would end at 450 ms, past the deadline
        assert_eq!(times, ms(&[0, 10, 30, 70, 150, 250, 350]));
        match result {
            Err(Error::DeadlineExceeded { attempts, .. }) => assert_eq!(attempts, 7),
            other => panic!("{:?}", other.map(|r| r.status)),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_attempt_the_deadline_cuts_short_reports_the_answer_before_it() {
        // 502 at once, then no answer until long past the 400 ms deadline
        let script = vec![
            (Duration::ZERO, reply(502, &[])),
            (Duration::from_secs(3600), reply(200, &[])),
        ];
        let (result, times) = run(exact(), Random::seeded(1), script).await;
        assert_eq!(times, ms(&[0, 10]));
        match result {
            Err(Error::DeadlineExceeded { attempts, last, .. }) => {
                assert_eq!(attempts, 2);
                assert!(last.contains("502"), "{last}");
            }
            other => panic!("{:?}", other.map(|r| r.status)),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_attempt_timeout_with_nothing_before_it_is_what_is_reported() {
        let policy = RetryPolicy {
            attempt_timeout: Duration::from_millis(150),
            ..exact()
        };
        let script = vec![(Duration::from_secs(3600), reply(200, &[]))];
        let (result, _) = run(policy, Random::seeded(1), script).await;
        match result {
            Err(Error::DeadlineExceeded { last, .. }) => assert!(last.contains("no answer within"), "{last}"),
            other => panic!("{:?}", other.map(|r| r.status)),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn equal_jitter_with_a_fixed_seed_gives_the_schedules_waits() {
        let policy = RetryPolicy {
            jitter: Jitter::Equal,
            ..exact()
        };
        let script = vec![
            (Duration::ZERO, reply(503, &[])),
            (Duration::ZERO, reply(503, &[])),
            (Duration::ZERO, reply(200, &[])),
        ];
        let (result, times) = run(policy, Random::seeded(42), script).await;
        assert_eq!(result.unwrap().status, 200);
        let mut expected = Schedule::new(policy.schedule(), Random::seeded(42));
        let first = expected.next_wait(Duration::ZERO, None).unwrap();
        let second = expected.next_wait(first, None).unwrap();
        // tokio's timers have millisecond resolution: each wait ends on the next millisecond.
        let want = [Duration::ZERO, first, first + second];
        assert_eq!(times.len(), want.len(), "{times:?}");
        for (got, want) in times.iter().zip(want) {
            assert!(
                *got >= want && *got < want + Duration::from_millis(2),
                "{times:?} vs {want:?}"
            );
        }
        assert!(
            first >= Duration::from_millis(5) && first <= Duration::from_millis(10),
            "{first:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_is_waited_exactly_and_a_longer_one_fails_at_once() {
        let policy = RetryPolicy {
            deadline: Duration::from_secs(10),
            ..exact()
        };
        let script = vec![
            (Duration::ZERO, reply(429, &[("retry-after", "1")])),
            (Duration::ZERO, reply(200, &[])),
        ];
        let (result, times) = run(policy, Random::seeded(1), script).await;
        assert_eq!(result.unwrap().status, 200);
        assert_eq!(times, ms(&[0, 1_000]));

        let script = vec![(Duration::ZERO, reply(403, &[("retry-after", "120")]))];
        let (result, times) = run(policy, Random::seeded(1), script).await;
        assert!(matches!(result, Err(Error::RateLimited { .. })));
        assert_eq!(times, ms(&[0]));
    }

    #[tokio::test(start_paused = true)]
    async fn an_attempt_without_an_answer_times_out_and_is_retried() {
        let policy = RetryPolicy {
            attempt_timeout: Duration::from_millis(300),
            ..exact()
        };
        let script = vec![
            (Duration::from_secs(5), reply(200, &[])),
            (Duration::ZERO, reply(200, &[])),
        ];
        let (result, times) = run(policy, Random::seeded(1), script).await;
        assert_eq!(result.unwrap().status, 200);
        // 300 ms timeout, then the first backoff (10 ms)
        assert_eq!(times, ms(&[0, 310]));
    }

    fn link(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(http::header::LINK, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn finds_the_next_link() {
        let h = link(
            r#"<https://api.github.com/repositories/1/pulls/2/files?per_page=100&page=2>; rel="next", <https://api.github.com/repositories/1/pulls/2/files?per_page=100&page=3>; rel="last""#,
        );
        assert_eq!(
            next_link(&h).as_deref(),
            Some("https://api.github.com/repositories/1/pulls/2/files?per_page=100&page=2")
        );
        let h = link(r#"<https://x/a?page=1>; rel="prev", <https://x/a?page=3>; rel="next""#);
        assert_eq!(next_link(&h).as_deref(), Some("https://x/a?page=3"));
        let h = link(r#"<https://x/a?page=1>; rel="first", <https://x/a?page=2>; rel="prev""#);
        assert_eq!(next_link(&h), None);
        assert_eq!(next_link(&HeaderMap::new()), None);
    }
}
