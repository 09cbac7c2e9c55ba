//! Performing the plugin's HTTP requests: a blocking client with connect and total timeouts,
//! no redirects, no proxies from the environment, a response size cap, and connections only to
//! public addresses unless an origin names an address literally (see [`super::address_guard`]).

use std::time::Duration;

use super::address_guard::{InternalAddress, MarkedConnector, NotConnected, PublicNamesResolver};
use crate::bindings::outbound_http::{HttpError, Method, Request, RequestProgress, Response, TransportFailure};

/// Performs requests the egress policy already allowed.
pub trait HttpClient: Send + Sync {
    /// Sends `request`, reading at most `max_response_bytes` of the response body.
    fn send(&self, request: &Request, max_response_bytes: u64) -> Result<Response, HttpError>;

    /// Sends `request` and returns once the response head arrived, its body left to read (at
    /// most `max_body_bytes`, the read failing past that): for files streamed on to a client.
    fn open(&self, request: &Request, max_body_bytes: u64) -> Result<OpenResponse, HttpError>;
}

/// A response whose body is still to be read.
pub struct OpenResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Box<dyn std::io::Read + Send>,
}

/// How long a streamed body may go without a byte, and take in all (a 100 MB file at 2 Mbit/s).
const STREAM_IDLE: Duration = Duration::from_secs(30);
const STREAM_MAX: Duration = Duration::from_secs(15 * 60);

/// Timeouts of the real client.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Resolving and connecting (TLS included).
    pub connect_timeout: Duration,
    /// The whole exchange; a request's own `timeout-ms` can only shorten it.
    pub max_timeout: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self { connect_timeout: Duration::from_secs(5), max_timeout: Duration::from_secs(30) }
    }
}

/// Headers the host sets itself; a plugin cannot override them.
const HOST_HEADERS: &[&str] = &["host", "content-length", "transfer-encoding", "connection", "upgrade"];

/// The production client (ureq, rustls).
pub struct UreqClient {
    agent: ureq::Agent,
    config: ClientConfig,
}

impl UreqClient {
    pub fn new(config: ClientConfig) -> Self {
        let agent_config = ureq::Agent::config_builder()
            .timeout_connect(Some(config.connect_timeout))
            .timeout_global(Some(config.max_timeout))
            .max_redirects(0)
            .http_status_as_error(false)
            .proxy(None)
            .build();
        let agent = ureq::Agent::with_parts(agent_config, MarkedConnector::default(), PublicNamesResolver::default());
        Self { agent, config }
    }
}

impl UreqClient {
    /// `request` as ureq's, the host's own headers left out.
    fn http_request(request: &Request) -> Result<http::Request<Vec<u8>>, HttpError> {
        let method = match request.method {
            Method::Get => http::Method::GET,
            Method::Post => http::Method::POST,
            Method::Put => http::Method::PUT,
            Method::Patch => http::Method::PATCH,
            Method::Delete => http::Method::DELETE,
        };
        let mut builder = http::Request::builder().method(method).uri(&request.url);
        for (name, value) in &request.headers {
            if !HOST_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                builder = builder.header(name, value);
            }
        }
        builder.body(request.body.clone()).map_err(|e| HttpError::Other(format!("invalid request: {e}")))
    }

    /// The request's own timeout, never longer than the client's.
    fn timeout(&self, request: &Request) -> Duration {
        request
            .timeout_ms
            .map(|ms| Duration::from_millis(ms.into()).min(self.config.max_timeout))
            .unwrap_or(self.config.max_timeout)
    }
}

fn head_of(response: &http::Response<ureq::Body>) -> (u16, Vec<(String, String)>) {
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
        .collect();
    (response.status().as_u16(), headers)
}

impl HttpClient for UreqClient {
    fn send(&self, request: &Request, max_response_bytes: u64) -> Result<Response, HttpError> {
        let http_request = Self::http_request(request)?;
        let timeout = self.timeout(request);
        let http_request = self.agent.configure_request(http_request).timeout_global(Some(timeout)).build();

        let mut response = self.agent.run(http_request).map_err(map_error)?;
        let (status, headers) = head_of(&response);
        let body = response.body_mut().with_config().limit(max_response_bytes).read_to_vec().map_err(map_error)?;
        Ok(Response { status, headers, body })
    }

    fn open(&self, request: &Request, max_body_bytes: u64) -> Result<OpenResponse, HttpError> {
        let http_request = Self::http_request(request)?;
        // The request's timeout is for the head; the body may take as long as it keeps coming.
        let http_request = self
            .agent
            .configure_request(http_request)
            .timeout_global(Some(STREAM_MAX))
            .timeout_recv_response(Some(self.timeout(request)))
            .timeout_per_read(Some(STREAM_IDLE))
            .build();
        let response = self.agent.run(http_request).map_err(map_error)?;
        let (status, headers) = head_of(&response);
        let body = response.into_body().into_with_config().limit(max_body_bytes).reader();
        Ok(OpenResponse { status, headers, body: Box::new(body) })
    }
}

/// Classifies a client error by how far the request got: only failures before anything was
/// sent are safe to retry blindly.
fn map_error(error: ureq::Error) -> HttpError {
    use ureq::Timeout as T;
    let failure = |progress, error: &ureq::Error| TransportFailure { progress, message: error.to_string() };
    match &error {
        ureq::Error::Timeout(T::Resolve | T::Connect) => HttpError::Timeout(RequestProgress::NotSent),
        ureq::Error::Timeout(_) => HttpError::Timeout(RequestProgress::MaybeSent),
        ureq::Error::BodyExceedsLimit(limit) => HttpError::BodyTooLarge(*limit),
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed | ureq::Error::Tls(_) | ureq::Error::Rustls(_) => {
            HttpError::Connection(failure(RequestProgress::NotSent, &error))
        }
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            HttpError::Connection(failure(RequestProgress::NotSent, &error))
        }
        ureq::Error::Io(_) | ureq::Error::Protocol(_) => {
            HttpError::Connection(failure(RequestProgress::MaybeSent, &error))
        }
        ureq::Error::Other(inner) if inner.is::<InternalAddress>() => {
            HttpError::DestinationNotAllowed(inner.to_string())
        }
        ureq::Error::Other(inner) if inner.is::<NotConnected>() => {
            HttpError::Connection(TransportFailure { progress: RequestProgress::NotSent, message: inner.to_string() })
        }
        ureq::Error::BadUri(e) => HttpError::Other(format!("invalid URL: {e}")),
        _ => HttpError::Other(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(url: &str) -> Result<Response, HttpError> {
        let request = Request {
            method: Method::Get,
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
            timeout_ms: Some(5000),
        };
        UreqClient::new(ClientConfig::default()).send(&request, 1024)
    }

    #[test]
    fn failures_before_a_connection_exists_say_nothing_was_sent() {
        // No such host (RFC 6761's `.invalid`), and a closed loopback port.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        for url in ["https://graph.example.invalid/v26.0/me".to_owned(), format!("http://{closed}/v26.0/me")] {
            match get(&url) {
                Err(HttpError::Connection(TransportFailure { progress: RequestProgress::NotSent, .. })) => {}
                other => panic!("{url}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_name_resolving_to_an_internal_address_is_not_dialled() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        match get(&format!("http://localhost:{port}/v26.0/me")) {
            Err(HttpError::DestinationNotAllowed(why)) => assert!(why.contains("internal address"), "{why}"),
            other => panic!("{other:?}"),
        }
        assert!(listener.accept().is_err(), "nothing connected to the loopback listener");
    }
}
