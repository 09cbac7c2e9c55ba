//! Performing the plugin's HTTP requests: a blocking client with connect and total timeouts,
//! no redirects, no proxies from the environment and a response size cap.

use std::time::Duration;

use crate::bindings::outbound_http::{HttpError, Method, Request, RequestProgress, Response, TransportFailure};

/// Performs requests the egress policy already allowed.
pub trait HttpClient: Send + Sync {
    /// Sends `request`, reading at most `max_response_bytes` of the response body.
    fn send(&self, request: &Request, max_response_bytes: u64) -> Result<Response, HttpError>;
}

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
        let agent = ureq::Agent::config_builder()
            .timeout_connect(Some(config.connect_timeout))
            .timeout_global(Some(config.max_timeout))
            .max_redirects(0)
            .http_status_as_error(false)
            .proxy(None)
            .build()
            .new_agent();
        Self { agent, config }
    }
}

impl HttpClient for UreqClient {
    fn send(&self, request: &Request, max_response_bytes: u64) -> Result<Response, HttpError> {
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
        let http_request =
            builder.body(request.body.clone()).map_err(|e| HttpError::Other(format!("invalid request: {e}")))?;
        let timeout = request
            .timeout_ms
            .map(|ms| Duration::from_millis(ms.into()).min(self.config.max_timeout))
            .unwrap_or(self.config.max_timeout);
        let http_request = self.agent.configure_request(http_request).timeout_global(Some(timeout)).build();

        let mut response = self.agent.run(http_request).map_err(map_error)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
            .collect();
        let body = response.body_mut().with_config().limit(max_response_bytes).read_to_vec().map_err(map_error)?;
        Ok(Response { status, headers, body })
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
        ureq::Error::BadUri(e) => HttpError::Other(format!("invalid URL: {e}")),
        _ => HttpError::Other(error.to_string()),
    }
}

