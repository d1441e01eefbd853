//! Fetching a message's remote images once the user allowed them, so the isolated view
//! itself never makes a network connection: Rust fetches, the view's scheme serves.
//!
//! Each fetch is a bare GET: no cookies (none are kept), no Referer, no Origin, no
//! credentials in the URL, a fixed User-Agent; HTTPS verified like the mail servers;
//! at most [`MAX_REDIRECTS`] redirects, each checked again; only raster images of at
//! most [`REMOTE_ITEM_MAX_BYTES`]; a time limit on the whole.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::reader::{REMOTE_ITEM_MAX_BYTES, Served};

/// Redirects followed for one item.
pub const MAX_REDIRECTS: usize = 3;
/// The whole fetch of one item, redirects included.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(15);

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// Fetches one remote item for the view. Whatever goes wrong is a status the view shows
/// as a missing image (and the log says why), never an error the window must handle.
pub async fn fetch_remote(url: &str, tls: Arc<rustls::ClientConfig>) -> Served {
    match tokio::time::timeout(FETCH_TIMEOUT, fetch(url, tls)).await {
        Ok(Ok(served)) => served,
        Ok(Err(why)) => {
            eprintln!("heron: remote content {url:?} not loaded: {why}");
            failed(502)
        }
        Err(_) => {
            eprintln!("heron: remote content {url:?} not loaded: timed out");
            failed(504)
        }
    }
}

fn failed(status: u16) -> Served {
    Served {
        status,
        content_type: "text/plain".to_owned(),
        body: Vec::new(),
    }
}

/// The raster image types remote content may be.
const IMAGE_TYPES: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/bmp",
];

async fn fetch(url: &str, tls: Arc<rustls::ClientConfig>) -> Result<Served, String> {
    let want = Want {
        accept: "image/png,image/jpeg,image/gif,image/webp",
        types: IMAGE_TYPES,
        max_bytes: REMOTE_ITEM_MAX_BYTES,
    };
    let fetched = bare_get(url, tls, &want, &BTreeMap::new()).await?;
    Ok(Served {
        status: 200,
        content_type: fetched.content_type,
        body: fetched.body,
    })
}

/// What one bare GET asks for and accepts.
pub(crate) struct Want<'a> {
    /// The Accept header.
    pub accept: &'a str,
    /// The content types (lowercase, without parameters) taken; anything else is refused
    /// before its body is read.
    pub types: &'a [&'a str],
    /// The largest body taken.
    pub max_bytes: usize,
}

/// What a bare GET brought back.
pub(crate) struct Fetched {
    /// The URL it came from, after redirects.
    pub url: url::Url,
    /// Its content type, lowercase, without parameters.
    pub content_type: String,
    /// The body.
    pub body: Vec<u8>,
    /// Whether every hop, redirects included, was HTTPS (verified).
    pub all_https: bool,
}

/// Host names to connect to at a given address instead of where DNS says, as
/// `host:port` to address (the test stack's servers, which DNS does not know).
pub(crate) type ConnectTo = BTreeMap<String, SocketAddr>;

/// A bare GET (see the module's notes) of `url` following at most [`MAX_REDIRECTS`]
/// redirects, each checked again.
pub(crate) async fn bare_get(
    url: &str,
    tls: Arc<rustls::ClientConfig>,
    want: &Want<'_>,
    connect_to: &ConnectTo,
) -> Result<Fetched, String> {
    let mut url = url::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    let mut all_https = true;
    for _ in 0..=MAX_REDIRECTS {
        all_https &= url.scheme() == "https";
        let response = send(&url, tls.clone(), want.accept, None, connect_to).await?;
        let status = response.status();
        if status.is_redirection() {
            let location = response
                .headers()
                .get(hyper::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or("a redirect without a location")?;
            url = url
                .join(location)
                .map_err(|e| format!("a redirect to a bad URL: {e}"))?;
            continue;
        }
        if status != hyper::StatusCode::OK {
            return Err(format!("the server answered {status}"));
        }
        let content_type = response
            .headers()
            .get(hyper::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .unwrap_or_default();
        if !want.types.contains(&content_type.as_str()) {
            return Err(format!("not an expected type ({content_type:?})"));
        }
        let mut body = response.into_body();
        let mut bytes = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| format!("reading the body failed: {e}"))?;
            if let Some(data) = frame.data_ref() {
                if bytes.len() + data.len() > want.max_bytes {
                    return Err(format!("larger than {} bytes", want.max_bytes));
                }
                bytes.extend_from_slice(data);
            }
        }
        return Ok(Fetched {
            url,
            content_type,
            body: bytes,
            all_https,
        });
    }
    Err(format!("more than {MAX_REDIRECTS} redirects"))
}

/// POSTs `form` (`application/x-www-form-urlencoded`) to `url`, HTTPS only (plain HTTP
/// only to a loopback address, as for a test's server), following no redirect: the
/// status and the body (at most `max_bytes`), whatever the status.
pub(crate) async fn post_form(
    url: &str,
    tls: Arc<rustls::ClientConfig>,
    form: &[(&str, &str)],
    max_bytes: usize,
    connect_to: &ConnectTo,
) -> Result<(u16, Vec<u8>), String> {
    let url = url::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    let loopback = matches!(url.host(), Some(url::Host::Ipv4(a)) if a.is_loopback())
        || url.host_str() == Some("localhost");
    if url.scheme() != "https" && !loopback {
        return Err(format!("{url} is not HTTPS"));
    }
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let response = send(&url, tls, "application/json", Some(body), connect_to).await?;
    let status = response.status().as_u16();
    let mut body = response.into_body();
    let mut bytes = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| format!("reading the answer failed: {e}"))?;
        if let Some(data) = frame.data_ref() {
            if bytes.len() + data.len() > max_bytes {
                return Err(format!("an answer larger than {max_bytes} bytes"));
            }
            bytes.extend_from_slice(data);
        }
    }
    Ok((status, bytes))
}

/// One request: a GET, or a POST of a form when `form` is given.
async fn send(
    url: &url::Url,
    tls: Arc<rustls::ClientConfig>,
    accept: &str,
    form: Option<String>,
    connect_to: &ConnectTo,
) -> Result<hyper::Response<hyper::body::Incoming>, String> {
    let https = match url.scheme() {
        "https" => true,
        "http" => false,
        other => return Err(format!("the scheme {other:?} is not fetched")),
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err("credentials in the URL".to_owned());
    }
    let host = url.host_str().ok_or("no host")?.to_owned();
    let port = url.port_or_known_default().ok_or("no port")?;
    let bare_host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let tcp = match connect_to.get(&format!("{bare_host}:{port}")) {
        Some(address) => TcpStream::connect(address).await,
        None => TcpStream::connect((bare_host.as_str(), port)).await,
    }
    .map_err(|e| format!("cannot connect to {host}:{port}: {e}"))?;
    let stream: Box<dyn Stream> = if https {
        let name = ServerName::try_from(bare_host.clone()).map_err(|e| format!("{e}"))?;
        let tls = tokio_rustls::TlsConnector::from(tls)
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS with {host} failed: {e}"))?;
        Box::new(tls)
    } else {
        Box::new(tcp)
    };
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("HTTP with {host} failed: {e}"))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    let authority = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.clone(),
    };
    let request = match form {
        None => hyper::Request::get(target)
            .header(hyper::header::HOST, authority)
            .header(hyper::header::USER_AGENT, "Heron")
            .header(hyper::header::ACCEPT, accept)
            .body(Full::new(Bytes::new())),
        Some(form) => hyper::Request::post(target)
            .header(hyper::header::HOST, authority)
            .header(hyper::header::USER_AGENT, "Heron")
            .header(hyper::header::ACCEPT, accept)
            .header(
                hyper::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(Full::new(Bytes::from(form))),
    }
    .map_err(|e| format!("cannot build the request: {e}"))?;
    sender
        .send_request(request)
        .await
        .map_err(|e| format!("HTTP with {host} failed: {e}"))
}

impl crate::Heron {
    /// The TLS settings remote content is fetched with: those of the mail servers
    /// (platform roots, the policy's extra CAs, its minimum version).
    pub fn web_tls(&self) -> Result<Arc<rustls::ClientConfig>, crate::ApiError> {
        let security = self.with_policy(|p| p.settings.security.clone());
        heron_sync::tls_settings(&security).map_err(crate::mail::sync_error)
    }
}
