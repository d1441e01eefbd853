//! Fetching a message's remote images once the user allowed them, so the isolated view
//! itself never makes a network connection: Rust fetches, the view's scheme serves.
//!
//! Each fetch is a bare GET: no cookies (none are kept), no Referer, no Origin, no
//! credentials in the URL, a fixed User-Agent; HTTPS verified like the mail servers;
//! at most [`MAX_REDIRECTS`] redirects, each checked again; only raster images of at
//! most [`REMOTE_ITEM_MAX_BYTES`]; a time limit on the whole.

use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt as _, Empty};
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

async fn fetch(url: &str, tls: Arc<rustls::ClientConfig>) -> Result<Served, String> {
    let mut url = url::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    for _ in 0..=MAX_REDIRECTS {
        let response = get(&url, tls.clone()).await?;
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
        if !matches!(
            content_type.as_str(),
            "image/png" | "image/jpeg" | "image/gif" | "image/webp" | "image/bmp"
        ) {
            return Err(format!("not a raster image ({content_type:?})"));
        }
        let mut body = response.into_body();
        let mut bytes = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| format!("reading the image failed: {e}"))?;
            if let Some(data) = frame.data_ref() {
                if bytes.len() + data.len() > REMOTE_ITEM_MAX_BYTES {
                    return Err(format!("larger than {REMOTE_ITEM_MAX_BYTES} bytes"));
                }
                bytes.extend_from_slice(data);
            }
        }
        return Ok(Served {
            status: 200,
            content_type,
            body: bytes,
        });
    }
    Err(format!("more than {MAX_REDIRECTS} redirects"))
}

async fn get(
    url: &url::Url,
    tls: Arc<rustls::ClientConfig>,
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
    let tcp = TcpStream::connect((bare_host.as_str(), port))
        .await
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
    let request = hyper::Request::get(target)
        .header(hyper::header::HOST, authority)
        .header(hyper::header::USER_AGENT, "Heron")
        .header(
            hyper::header::ACCEPT,
            "image/png,image/jpeg,image/gif,image/webp",
        )
        .body(Empty::<Bytes>::new())
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
