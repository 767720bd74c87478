//! A fault-injecting HTTP proxy in front of moto, on a free loopback port, for the faults the
//! reconciler must survive end to end (issue 11): it forwards each request to moto, except
//! those whose `X-Amz-Target` names an operation it holds back, which it never answers (the
//! connection stays open until the proxy is dropped). One request per upstream connection.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

pub struct FaultProxy {
    pub url: String,
    stop: Arc<AtomicBool>,
    /// Requests held back so far.
    pub held: Arc<AtomicU64>,
    /// Connections held open, closed when the proxy is dropped.
    parked: Arc<Mutex<Vec<TcpStream>>>,
}

impl FaultProxy {
    /// Forwards to `upstream` (`http://127.0.0.1:PORT`), holding back every call whose
    /// target ends with one of `hold` (e.g. `.CreateAccountAssignment`).
    pub fn start(upstream: &str, hold: &[&str]) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_string();
        let hold: Vec<String> = hold.iter().map(|s| s.to_string()).collect();
        let (stop, held, parked) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicU64::new(0)),
            Arc::default(),
        );
        let proxy = FaultProxy {
            url,
            stop: stop.clone(),
            held: held.clone(),
            parked: Arc::clone(&parked),
        };
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (upstream, hold, held, parked) = (upstream.clone(), hold.clone(), held.clone(), parked.clone());
                std::thread::spawn(move || serve(conn, &upstream, &hold, &held, &parked));
            }
        });
        proxy
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for c in self.parked.lock().unwrap().drain(..) {
            let _ = c.shutdown(std::net::Shutdown::Both);
        }
        // wake the accept loop so that it sees `stop`
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
    }
}

/// One client connection: each request read whole, then held or forwarded.
fn serve(conn: TcpStream, upstream: &str, hold: &[String], held: &AtomicU64, parked: &Mutex<Vec<TcpStream>>) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut client = conn;
    loop {
        let Some((head, body)) = read_request(&mut reader) else {
            return;
        };
        let target = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .starts_with("x-amz-target:")
                    .then(|| l[13..].trim().to_string())
            })
            .unwrap_or_default();
        if hold.iter().any(|h| target.ends_with(h.as_str())) {
            held.fetch_add(1, Ordering::SeqCst);
            parked.lock().unwrap().push(client);
            return;
        }
        let Some(answer) = forward(upstream, &head, &body) else {
            return;
        };
        if client.write_all(&answer).is_err() {
            return;
        }
    }
}

/// The head (request line and headers, with their CRLFs) and the body of one request.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<(String, Vec<u8>)> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let length = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().to_string())
        })
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((head, body))
}

/// Sends one request upstream on a fresh connection (asked to close after it) and returns
/// the whole answer.
fn forward(upstream: &str, head: &str, body: &[u8]) -> Option<Vec<u8>> {
    let mut up = TcpStream::connect(upstream).ok()?;
    let head: String = head
        .split_inclusive("\r\n")
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .collect();
    let head = head.trim_end_matches("\r\n").to_string() + "\r\nConnection: close\r\n\r\n";
    up.write_all(head.as_bytes()).ok()?;
    up.write_all(body).ok()?;
    let mut answer = Vec::new();
    up.read_to_end(&mut answer).ok()?;
    Some(answer)
}
