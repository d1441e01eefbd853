//! A TLS-terminating SMTP proxy that injects faults at exact SMTP stages.
//!
//! Through TLS, the byte counts of [`FaultProxy`](crate::fault_proxy::FaultProxy) say
//! nothing about where a session is. [`SmtpStageProxy`] ends the client's TLS itself,
//! with the stack's own server certificate, opens its own TLS connection to Postfix's
//! implicit-TLS submission port (verifying Postfix against the stack CA) and relays the
//! plaintext, reading just enough of it to know the stage: commands line by line, AUTH
//! and its continuation lines while Postfix answers 334, DATA, the message data after
//! Postfix's 354 up to the final dot, and Postfix's reply to the data. Postfix still
//! does all the SMTP work and the delivery; the proxy only cuts in at the stage a
//! [`StageFault`] names.
//!
//! The proxy removes CHUNKING from Postfix's EHLO reply, so that clients send DATA and
//! never BDAT, whose binary chunks it could not follow.
//!
//! It runs on a thread of its own with a single-threaded Tokio runtime, so a test can
//! start and drop it from synchronous code and from inside its own runtime alike.

use std::collections::{BTreeMap, VecDeque};
use std::io::ErrorKind;
use std::net::{Ipv4Addr, Shutdown, SocketAddr};
use std::os::fd::AsFd as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_rustls::{TlsAcceptor, TlsConnector};

use crate::Stack;
use crate::tls::TlsFiles;

/// How long the proxy waits for a client's TLS handshake, and to reach Postfix.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long Postfix gets to answer the data and QUIT once the client is gone.
const SERVER_FINISH_TIMEOUT: Duration = Duration::from_secs(30);
/// The read buffer of each direction.
const CHUNK: usize = 16 * 1024;
/// The longest command or reply line the proxy waits for; SMTP allows 512 bytes for
/// commands and AUTH lines are a little longer, so this only stops a runaway peer.
const MAX_LINE: usize = 64 * 1024;

/// Where in the SMTP session the proxy cuts in. Every fault acts once per connection;
/// before its stage the session is relayed faithfully.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum StageFault {
    /// Relay everything, both ways.
    #[default]
    None,
    /// When the client sends AUTH, close both sides abruptly without forwarding it.
    DropBeforeAuth,
    /// In data mode (after Postfix's 354), forward `after_bytes` bytes of message data
    /// to Postfix, then close both sides abruptly. The final dot line never reaches
    /// Postfix, even when `after_bytes` covers the whole message, so nothing is
    /// delivered.
    DropDuringData {
        /// How many bytes of message data (dot-stuffed, as the client sent them) pass.
        after_bytes: u64,
    },
    /// Forward the client's final dot to Postfix, then close the client side abruptly at
    /// once, without waiting for Postfix's answer. The proxy reads that answer, sends
    /// QUIT and closes: the message is delivered but the client never learns it. (The
    /// proxy must live, and `kill_all` wait, the few milliseconds Postfix takes to
    /// answer; a test that waits for the delivery does.)
    DropAfterFinalDot,
    /// Forward the final dot, read Postfix's reply to the data and withhold it, then
    /// close the client side abruptly: the message is delivered, the client sees the
    /// connection drop while it waits for the reply.
    DropBeforeReply,
    /// Like [`StageFault::DropBeforeReply`], but keep the client connection open and
    /// silent until the client gives up and closes it, [`SmtpStageProxy::kill_all`], or
    /// the proxy is dropped.
    StallBeforeReply,
    /// Do not forward the final dot: close the Postfix side abruptly (nothing is
    /// delivered) and answer the client's data with this reply line instead, such as
    /// `"451 4.3.0 Try again later"` or `"554 5.7.1 Rejected"`. The proxy adds the CRLF
    /// and sends only the text up to the first CR or LF. After that it answers QUIT with
    /// 221 and any other command with 421, closing the connection either way.
    ReplyToData(String),
    /// Do not forward AUTH: close the Postfix side and answer the client's AUTH with
    /// this reply line instead, such as Postfix's own
    /// `"454 4.7.0 Temporary authentication failure"` when it has lost its password
    /// service. Afterwards as [`StageFault::ReplyToData`].
    ReplyToAuth(String),
}

/// A running proxy. Dropping it stops the listener and drops every live connection.
pub struct SmtpStageProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    runner: Option<JoinHandle<()>>,
}

/// State shared by the proxy handle, its accept loop and its connections.
struct Shared {
    target: SocketAddr,
    acceptor: TlsAcceptor,
    connector: TlsConnector,
    fault: Mutex<StageFault>,
    next_faults: Mutex<VecDeque<StageFault>>,
    accepted: AtomicU64,
    live: Mutex<BTreeMap<u64, Arc<Sockets>>>,
}

impl SmtpStageProxy {
    /// Starts a proxy on `127.0.0.1:0` in front of the stack's implicit-TLS submission
    /// port, presenting the stack's server certificate (valid for `127.0.0.1`), with no
    /// fault. Clients connect to [`SmtpStageProxy::addr`] with implicit TLS, trusting
    /// [`Stack::ca_pem`].
    pub fn start(stack: &Stack) -> Result<SmtpStageProxy> {
        let target = SocketAddr::from((Ipv4Addr::LOCALHOST, stack.ports().submissions));
        SmtpStageProxy::start_to(target, &stack.tls_files())
    }

    /// Starts a proxy in front of the implicit-TLS SMTP server at `target`, presenting
    /// the certificate and key of `tls` to clients and trusting its CA for the server,
    /// which must present a certificate valid for the target's IP address.
    pub fn start_to(target: SocketAddr, tls: &TlsFiles) -> Result<SmtpStageProxy> {
        let acceptor = tls_acceptor(tls)?;
        let connector = tls_connector(tls)?;
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .context("Cannot bind the SMTP stage proxy's listener")?;
        let addr = listener
            .local_addr()
            .context("Cannot read the SMTP stage proxy's address")?;
        listener
            .set_nonblocking(true)
            .context("Cannot make the SMTP stage proxy's listener non-blocking")?;
        let shared = Arc::new(Shared {
            target,
            acceptor,
            connector,
            fault: Mutex::new(StageFault::None),
            next_faults: Mutex::new(VecDeque::new()),
            accepted: AtomicU64::new(0),
            live: Mutex::new(BTreeMap::new()),
        });
        let (stop, stop_seen) = watch::channel(false);
        let (ready_tx, ready) = std::sync::mpsc::channel::<Result<()>>();
        let runner = std::thread::Builder::new()
            .name(format!("smtp-stage-proxy-{}", addr.port()))
            .spawn({
                let shared = Arc::clone(&shared);
                // The runtime is built, used and dropped on this thread only: dropping a
                // runtime inside the caller's runtime would panic.
                move || {
                    let runtime = match tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    {
                        Ok(runtime) => runtime,
                        Err(e) => {
                            let _ = ready_tx
                                .send(Err(anyhow!(e)
                                    .context("Cannot start the SMTP stage proxy's runtime")));
                            return;
                        }
                    };
                    runtime.block_on(async move {
                        let listener = match TcpListener::from_std(listener) {
                            Ok(listener) => listener,
                            Err(e) => {
                                let _ = ready_tx.send(Err(anyhow!(e)
                                    .context("Cannot register the SMTP stage proxy's listener")));
                                return;
                            }
                        };
                        let _ = ready_tx.send(Ok(()));
                        accept_loop(&listener, &shared, stop_seen).await;
                    });
                    // Dropping the runtime here cancels every connection task, which
                    // closes its sockets.
                }
            })
            .context("Cannot start the SMTP stage proxy's thread")?;
        let proxy = SmtpStageProxy {
            addr,
            shared,
            stop,
            runner: Some(runner),
        };
        ready
            .recv()
            .context("The SMTP stage proxy's thread ended while starting")??;
        Ok(proxy)
    }

    /// Where clients connect (with implicit TLS) instead of Postfix.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The Postfix address connections are relayed to.
    pub fn target(&self) -> SocketAddr {
        self.shared.target
    }

    /// Sets the fault for every connection accepted from now on (connections already
    /// open keep theirs). One-shot faults from [`SmtpStageProxy::set_fault_for_next`]
    /// come first.
    pub fn set_fault(&self, fault: StageFault) {
        *lock(&self.shared.fault) = fault;
    }

    /// Queues a fault for the next accepted connection only; calling it several times
    /// queues one fault per future connection, in order. After the queue runs out,
    /// connections get the fault of [`SmtpStageProxy::set_fault`] ([`StageFault::None`]
    /// unless set).
    pub fn set_fault_for_next(&self, fault: StageFault) {
        lock(&self.shared.next_faults).push_back(fault);
    }

    /// How many connections the proxy has accepted since it started.
    pub fn connections(&self) -> u64 {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// How many connections are open right now.
    pub fn live_connections(&self) -> usize {
        lock(&self.shared.live).len()
    }

    /// Drops every live connection now, abruptly, on both sides. The listener keeps
    /// accepting.
    pub fn kill_all(&self) {
        let live: Vec<Arc<Sockets>> = lock(&self.shared.live).values().cloned().collect();
        for sockets in live {
            sockets.abort_both();
        }
    }
}

impl Drop for SmtpStageProxy {
    fn drop(&mut self) {
        self.kill_all();
        // If the accept loop is gone already there is nobody to tell.
        let _ = self.stop.send(true);
        if let Some(runner) = self.runner.take() {
            let _ = runner.join();
        }
    }
}

fn tls_acceptor(tls: &TlsFiles) -> Result<TlsAcceptor> {
    let chain = CertificateDer::pem_file_iter(&tls.cert_pem)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .with_context(|| format!("Cannot read the certificate {}", tls.cert_pem.display()))?;
    let key = PrivateKeyDer::from_pem_file(&tls.key_pem)
        .with_context(|| format!("Cannot read the key {}", tls.key_pem.display()))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .context("Cannot choose TLS versions for the SMTP stage proxy")?
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .context("The stack's server certificate and key do not make a TLS identity")?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

fn tls_connector(tls: &TlsFiles) -> Result<TlsConnector> {
    let mut roots = rustls::RootCertStore::empty();
    let cas = CertificateDer::pem_file_iter(&tls.ca_pem)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .with_context(|| format!("Cannot read the CA {}", tls.ca_pem.display()))?;
    for ca in cas {
        roots
            .add(ca)
            .context("The stack CA is not a usable trust anchor")?;
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .context("Cannot choose TLS versions for the SMTP stage proxy")?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

async fn accept_loop(
    listener: &TcpListener,
    shared: &Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            biased;
            // A send (the proxy is dropped) or a closed channel both mean: stop.
            _ = stop.changed() => return,
            accepted = listener.accept() => accepted,
        };
        let tcp = match accepted {
            Ok((tcp, _)) => tcp,
            Err(e) => {
                // Out of descriptors, say: wait rather than spin.
                eprintln!("SMTP stage proxy: cannot accept a connection: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let fault = lock(&shared.next_faults)
            .pop_front()
            .unwrap_or_else(|| lock(&shared.fault).clone());
        let id = shared.accepted.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(serve(id, tcp, fault, Arc::clone(shared)));
    }
}

/// Runs one connection from the client's TCP connect to its end; errors are the
/// connection's own business and only logged.
async fn serve(id: u64, tcp: TcpStream, fault: StageFault, shared: Arc<Shared>) {
    let _ = tcp.set_nodelay(true);
    let client_socket = match duplicate(&tcp) {
        Ok(socket) => socket,
        Err(e) => {
            eprintln!("SMTP stage proxy: connection {id}: cannot keep a handle on it: {e}");
            return;
        }
    };
    let sockets = Arc::new(Sockets {
        client: client_socket,
        server: Mutex::new(None),
    });
    let _registered = Registration::new(id, &sockets, &shared);
    let result = match Session::open(tcp, fault, &sockets, &shared).await {
        Ok(mut session) => session.run().await,
        Err(e) => Err(e),
    };
    if let Err(e) = result {
        eprintln!("SMTP stage proxy: connection {id}: {e:#}");
        sockets.abort_both();
    }
}

/// Keeps a connection in the live map for as long as its task runs.
struct Registration {
    id: u64,
    shared: Arc<Shared>,
}

impl Registration {
    fn new(id: u64, sockets: &Arc<Sockets>, shared: &Arc<Shared>) -> Registration {
        lock(&shared.live).insert(id, Arc::clone(sockets));
        Registration {
            id,
            shared: Arc::clone(shared),
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        lock(&self.shared.live).remove(&self.id);
    }
}

/// Second descriptors of a connection's two TCP sockets, so that the connection can be
/// cut off from outside its task (by `kill_all`) and one side at a time by a fault.
struct Sockets {
    client: std::net::TcpStream,
    server: Mutex<Option<std::net::TcpStream>>,
}

impl Sockets {
    fn abort_client(&self) {
        abort_socket(&self.client);
    }

    fn abort_server(&self) {
        if let Some(server) = lock(&self.server).as_ref() {
            abort_socket(server);
        }
    }

    fn abort_both(&self) {
        self.abort_client();
        self.abort_server();
    }
}

/// A second descriptor of the same socket.
fn duplicate(tcp: &TcpStream) -> std::io::Result<std::net::TcpStream> {
    Ok(std::net::TcpStream::from(tcp.as_fd().try_clone_to_owned()?))
}

/// Zero linger (through Tokio's socket wrapper, which needs no runtime for this) and
/// shutdown: the task using the socket sees end of stream, and the peer gets a reset
/// when the last descriptor closes. As `fault_proxy` does.
fn abort_socket(socket: &std::net::TcpStream) {
    if let Ok(duplicate) = socket.try_clone() {
        let _ = tokio::net::TcpSocket::from_std_stream(duplicate).set_zero_linger();
    }
    let _ = socket.shutdown(Shutdown::Both);
}

type ClientTls = tokio_rustls::server::TlsStream<TcpStream>;
type ServerTls = tokio_rustls::client::TlsStream<TcpStream>;

/// How the proxy reads what the client sends next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ClientMode {
    /// Command lines.
    Command,
    /// AUTH was sent: hold the client's bytes until Postfix says whether a
    /// continuation (334) or a new command comes next.
    AwaitAuthReply,
    /// Postfix answered 334: the next line is an AUTH continuation, not a command.
    AuthContinuation,
    /// DATA was sent: hold the client's bytes until Postfix answers (354 or a refusal).
    AwaitDataReply,
    /// Message data, up to the final dot.
    Data {
        /// Whether the next byte starts a line (where the final dot can be).
        at_line_start: bool,
        /// How many bytes of message data went to Postfix so far.
        forwarded: u64,
    },
    /// The fault ends the session at Postfix's reply to the data: forward nothing more.
    Hold,
}

/// What a pending client command expects from Postfix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Awaiting {
    /// The greeting and ordinary commands.
    Other,
    /// EHLO, whose reply loses CHUNKING.
    Ehlo,
    /// AUTH: 334 continues it, anything else ends it.
    Auth,
    /// DATA: 354 starts data mode.
    Data,
    /// The final dot: this reply says whether the message was accepted.
    DataEnd,
}

/// How the relay of a session ended.
#[derive(Debug)]
enum Ending {
    /// One side closed; the other has been closed in turn.
    Closed,
    /// The fault closes both sides abruptly.
    Abort,
    /// The fault closes the client side abruptly and lets Postfix finish the session.
    ClientGone {
        /// Whether Postfix's reply to the data was read already.
        reply_seen: bool,
    },
    /// Postfix's reply to the data was read and withheld: finish with Postfix, keep the
    /// client waiting.
    Stall,
    /// The final dot was withheld: close Postfix's side and answer the client with this.
    Answer(String),
}

/// One proxied connection: both TLS streams and the state of the SMTP session.
struct Session {
    fault: StageFault,
    client: ClientTls,
    server: ServerTls,
    sockets: Arc<Sockets>,
    /// Client bytes not yet forwarded (or held until Postfix answers).
    from_client: Vec<u8>,
    /// Server bytes not yet part of a complete reply line.
    from_server: Vec<u8>,
    /// The lines of the reply being read.
    reply: Vec<Vec<u8>>,
    mode: ClientMode,
    /// One entry per command sent whose reply has not arrived, oldest first.
    awaiting: VecDeque<Awaiting>,
}

impl Session {
    /// Completes the client's TLS handshake and opens the TLS connection to Postfix.
    async fn open(
        tcp: TcpStream,
        fault: StageFault,
        sockets: &Arc<Sockets>,
        shared: &Shared,
    ) -> Result<Session> {
        let client = tokio::time::timeout(HANDSHAKE_TIMEOUT, shared.acceptor.accept(tcp))
            .await
            .context("The client did not complete the TLS handshake in time")?
            .context("TLS handshake with the client failed")?;
        let server = tokio::time::timeout(HANDSHAKE_TIMEOUT, async {
            let tcp = TcpStream::connect(shared.target)
                .await
                .with_context(|| format!("Cannot connect to Postfix at {}", shared.target))?;
            let _ = tcp.set_nodelay(true);
            *lock(&sockets.server) = Some(duplicate(&tcp)?);
            let name = ServerName::from(shared.target.ip());
            shared
                .connector
                .connect(name, tcp)
                .await
                .context("TLS handshake with Postfix failed")
        })
        .await
        .context("Postfix did not answer in time")??;
        Ok(Session {
            fault,
            client,
            server,
            sockets: Arc::clone(sockets),
            from_client: Vec::new(),
            from_server: Vec::new(),
            reply: Vec::new(),
            mode: ClientMode::Command,
            awaiting: VecDeque::from([Awaiting::Other]),
        })
    }

    async fn run(&mut self) -> Result<()> {
        match self.relay().await? {
            Ending::Closed => Ok(()),
            Ending::Abort => {
                self.sockets.abort_both();
                Ok(())
            }
            Ending::ClientGone { reply_seen } => {
                self.sockets.abort_client();
                self.finish_with_server(reply_seen).await
            }
            Ending::Stall => {
                let finished = self.finish_with_server(true).await;
                self.stall().await;
                finished
            }
            Ending::Answer(reply) => {
                self.sockets.abort_server();
                self.answer_alone(&reply).await
            }
        }
    }

    /// Relays both ways until a side closes or the fault's stage is reached.
    async fn relay(&mut self) -> Result<Ending> {
        let mut client_chunk = vec![0_u8; CHUNK];
        let mut server_chunk = vec![0_u8; CHUNK];
        loop {
            tokio::select! {
                read = self.client.read(&mut client_chunk) => {
                    let n = read_len(read).context("Cannot read from the client")?;
                    if n == 0 {
                        let _ = self.server.shutdown().await;
                        return Ok(Ending::Closed);
                    }
                    self.from_client.extend_from_slice(&client_chunk[..n]);
                }
                read = self.server.read(&mut server_chunk) => {
                    let n = read_len(read).context("Cannot read from Postfix")?;
                    if n == 0 {
                        let _ = self.client.shutdown().await;
                        return Ok(Ending::Closed);
                    }
                    self.from_server.extend_from_slice(&server_chunk[..n]);
                    while let Some(reply) = self.next_reply()? {
                        if let Some(ending) = self.on_reply(reply).await? {
                            return Ok(ending);
                        }
                    }
                }
            }
            // A reply may have changed the mode, so held client bytes can go on now.
            if let Some(ending) = self.on_client_bytes().await? {
                return Ok(ending);
            }
        }
    }

    /// Forwards what the client sent, as far as the mode allows.
    async fn on_client_bytes(&mut self) -> Result<Option<Ending>> {
        loop {
            match self.mode {
                ClientMode::AwaitAuthReply | ClientMode::AwaitDataReply | ClientMode::Hold => {
                    return Ok(None);
                }
                ClientMode::AuthContinuation => {
                    let Some(line) = take_line(&mut self.from_client)? else {
                        return Ok(None);
                    };
                    self.mode = ClientMode::AwaitAuthReply;
                    send(&mut self.server, &line).await?;
                }
                ClientMode::Command => {
                    let Some(line) = take_line(&mut self.from_client)? else {
                        return Ok(None);
                    };
                    let verb = verb(&line);
                    match verb.as_slice() {
                        b"AUTH" => {
                            match &self.fault {
                                StageFault::DropBeforeAuth => return Ok(Some(Ending::Abort)),
                                StageFault::ReplyToAuth(reply) => {
                                    return Ok(Some(Ending::Answer(reply.clone())));
                                }
                                _ => {}
                            }
                            self.awaiting.push_back(Awaiting::Auth);
                            self.mode = ClientMode::AwaitAuthReply;
                        }
                        b"DATA" => {
                            self.awaiting.push_back(Awaiting::Data);
                            self.mode = ClientMode::AwaitDataReply;
                        }
                        b"EHLO" => self.awaiting.push_back(Awaiting::Ehlo),
                        _ => self.awaiting.push_back(Awaiting::Other),
                    }
                    send(&mut self.server, &line).await?;
                }
                ClientMode::Data {
                    at_line_start,
                    forwarded,
                } => {
                    if let Some(ending) = self.on_message_data(at_line_start, forwarded).await? {
                        return Ok(Some(ending));
                    }
                    if let ClientMode::Data { .. } = self.mode {
                        // All forwardable data went; the rest of the message is to come.
                        return Ok(None);
                    }
                    // After the dot: commands may follow in the same read (pipelining).
                }
            }
        }
    }

    /// Forwards message data up to the final dot, and the dot as the fault says.
    async fn on_message_data(
        &mut self,
        mut at_line_start: bool,
        mut forwarded: u64,
    ) -> Result<Option<Ending>> {
        let budget = match self.fault {
            StageFault::DropDuringData { after_bytes } => Some(after_bytes),
            _ => None,
        };
        if budget.is_some_and(|budget| forwarded >= budget) {
            return Ok(Some(Ending::Abort));
        }
        let (message_end, dot_end) = match scan_data(&self.from_client, at_line_start) {
            DataScan::FinalDot { start, end } => (start, Some(end)),
            DataScan::Partial { forwardable } => (forwardable, None),
        };
        let take = match budget {
            Some(budget) => {
                let left = budget.saturating_sub(forwarded);
                message_end.min(usize::try_from(left).unwrap_or(usize::MAX))
            }
            None => message_end,
        };
        if take > 0 {
            let data: Vec<u8> = self.from_client.drain(..take).collect();
            send(&mut self.server, &data).await?;
            forwarded += take as u64;
            at_line_start = data.last() == Some(&b'\n');
        }
        if budget.is_some_and(|budget| forwarded >= budget || dot_end.is_some()) {
            // Out of budget, or the whole message went and only the dot is left: the
            // dot never goes.
            return Ok(Some(Ending::Abort));
        }
        let Some(dot_end) = dot_end else {
            self.mode = ClientMode::Data {
                at_line_start,
                forwarded,
            };
            return Ok(None);
        };
        let dot: Vec<u8> = self.from_client.drain(..dot_end - take).collect();
        match &self.fault {
            StageFault::ReplyToData(reply) => Ok(Some(Ending::Answer(reply.clone()))),
            StageFault::DropAfterFinalDot => {
                send(&mut self.server, &dot).await?;
                self.awaiting.push_back(Awaiting::DataEnd);
                Ok(Some(Ending::ClientGone { reply_seen: false }))
            }
            StageFault::DropBeforeReply | StageFault::StallBeforeReply => {
                send(&mut self.server, &dot).await?;
                self.awaiting.push_back(Awaiting::DataEnd);
                self.mode = ClientMode::Hold;
                Ok(None)
            }
            StageFault::None
            | StageFault::DropBeforeAuth
            | StageFault::ReplyToAuth(_)
            | StageFault::DropDuringData { .. } => {
                send(&mut self.server, &dot).await?;
                self.awaiting.push_back(Awaiting::DataEnd);
                self.mode = ClientMode::Command;
                Ok(None)
            }
        }
    }

    /// Forwards one complete reply of Postfix and follows the stage it marks.
    async fn on_reply(&mut self, reply: Vec<Vec<u8>>) -> Result<Option<Ending>> {
        let code = reply_code(&reply);
        let answers = if self.awaiting.front() == Some(&Awaiting::Auth) && code == Some(334) {
            self.mode = ClientMode::AuthContinuation;
            Awaiting::Auth
        } else {
            // A reply nobody waits for (a 421 on timeout, say) is forwarded as it is.
            self.awaiting.pop_front().unwrap_or(Awaiting::Other)
        };
        let bytes = match answers {
            Awaiting::Ehlo if code == Some(250) => without_chunking(&reply),
            Awaiting::Auth if code != Some(334) => {
                self.mode = ClientMode::Command;
                reply.concat()
            }
            Awaiting::Data => {
                self.mode = if code == Some(354) {
                    ClientMode::Data {
                        at_line_start: true,
                        forwarded: 0,
                    }
                } else {
                    ClientMode::Command
                };
                reply.concat()
            }
            Awaiting::DataEnd => match self.fault {
                StageFault::DropBeforeReply => {
                    return Ok(Some(Ending::ClientGone { reply_seen: true }));
                }
                StageFault::StallBeforeReply => return Ok(Some(Ending::Stall)),
                _ => reply.concat(),
            },
            Awaiting::Other | Awaiting::Ehlo | Awaiting::Auth => reply.concat(),
        };
        send(&mut self.client, &bytes).await?;
        Ok(None)
    }

    /// Takes the next complete reply out of what Postfix sent, if there is one.
    fn next_reply(&mut self) -> Result<Option<Vec<Vec<u8>>>> {
        while let Some(line) = take_line(&mut self.from_server)? {
            let last = !is_continuation(&line);
            self.reply.push(line);
            if last {
                return Ok(Some(std::mem::take(&mut self.reply)));
            }
        }
        Ok(None)
    }

    /// Reads from Postfix until a complete reply is there.
    async fn read_reply(&mut self) -> Result<Vec<Vec<u8>>> {
        let mut chunk = vec![0_u8; CHUNK];
        loop {
            if let Some(reply) = self.next_reply()? {
                return Ok(reply);
            }
            let n =
                read_len(self.server.read(&mut chunk).await).context("Cannot read from Postfix")?;
            if n == 0 {
                bail!("Postfix closed the connection before replying");
            }
            self.from_server.extend_from_slice(&chunk[..n]);
        }
    }

    /// With the client gone or left waiting: lets Postfix answer the data (unless it
    /// has), then says QUIT and closes, so that Postfix sees an orderly session.
    async fn finish_with_server(&mut self, reply_seen: bool) -> Result<()> {
        let finish = async {
            if !reply_seen {
                loop {
                    let reply = self.read_reply().await?;
                    if let None | Some(Awaiting::DataEnd) = self.awaiting.pop_front() {
                        if !reply_code(&reply).is_some_and(|code| (200..300).contains(&code)) {
                            eprintln!(
                                "SMTP stage proxy: Postfix did not accept the data: {}",
                                String::from_utf8_lossy(&reply.concat()).trim_end()
                            );
                        }
                        break;
                    }
                }
            }
            send(&mut self.server, b"QUIT\r\n").await?;
            self.read_reply().await?;
            let _ = self.server.shutdown().await;
            Ok::<_, anyhow::Error>(())
        };
        tokio::time::timeout(SERVER_FINISH_TIMEOUT, finish)
            .await
            .context("Postfix did not finish the session in time")?
    }

    /// Keeps the client connection open and silent until the client closes it or the
    /// proxy cuts it off (`kill_all` shuts the socket down; dropping the proxy cancels
    /// this task).
    async fn stall(&mut self) {
        let mut sink = vec![0_u8; CHUNK];
        while let Ok(n) = self.client.read(&mut sink).await {
            if n == 0 {
                return;
            }
        }
    }

    /// Postfix's side is closed: answers the data with `reply`, then the client's next
    /// command (221 to QUIT, 421 to anything else) and closes.
    async fn answer_alone(&mut self, reply: &str) -> Result<()> {
        let line = reply.split(['\r', '\n']).next().unwrap_or_default();
        send(&mut self.client, format!("{line}\r\n").as_bytes()).await?;
        let mut chunk = vec![0_u8; CHUNK];
        let command = loop {
            if let Some(command) = take_line(&mut self.from_client)? {
                break command;
            }
            let n = read_len(self.client.read(&mut chunk).await)
                .context("Cannot read from the client")?;
            if n == 0 {
                return Ok(());
            }
            self.from_client.extend_from_slice(&chunk[..n]);
        };
        let answer: &[u8] = if verb(&command) == b"QUIT" {
            b"221 2.0.0 Bye\r\n"
        } else {
            b"421 4.4.2 The proxy closed the connection to the server\r\n"
        };
        send(&mut self.client, answer).await?;
        let _ = self.client.shutdown().await;
        Ok(())
    }
}

/// End of stream without TLS close_notify is how many peers close; it ends the
/// direction like an orderly close.
fn read_len(read: std::io::Result<usize>) -> std::io::Result<usize> {
    match read {
        Err(e) if e.kind() == ErrorKind::UnexpectedEof => Ok(0),
        other => other,
    }
}

async fn send<S: AsyncWrite + Unpin>(stream: &mut S, bytes: &[u8]) -> Result<()> {
    stream.write_all(bytes).await?;
    stream.flush().await?;
    Ok(())
}

/// Takes one line (with its LF) off the front of `buffer`, if a whole one is there.
fn take_line(buffer: &mut Vec<u8>) -> Result<Option<Vec<u8>>> {
    match buffer.iter().position(|&b| b == b'\n') {
        Some(end) => Ok(Some(buffer.drain(..=end).collect())),
        None if buffer.len() > MAX_LINE => {
            bail!("A line longer than {MAX_LINE} bytes; this is not SMTP")
        }
        None => Ok(None),
    }
}

/// The command word of a client line, upper-cased.
fn verb(line: &[u8]) -> Vec<u8> {
    line.split(|&b| b == b' ' || b == b'\r' || b == b'\n')
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase()
}

/// Whether a reply line says more lines follow (`250-...`).
fn is_continuation(line: &[u8]) -> bool {
    line.len() > 3 && line[..3].iter().all(u8::is_ascii_digit) && line[3] == b'-'
}

/// The three-digit code of a reply, if it has one.
fn reply_code(reply: &[Vec<u8>]) -> Option<u16> {
    let first = reply.first()?.get(..3)?;
    std::str::from_utf8(first).ok()?.parse().ok()
}

/// The EHLO reply without its CHUNKING line, the last line marked as such again.
fn without_chunking(reply: &[Vec<u8>]) -> Vec<u8> {
    let kept: Vec<&Vec<u8>> = reply
        .iter()
        .filter(|line| {
            let keyword = line.get(4..).map(verb).unwrap_or_default();
            keyword != b"CHUNKING"
        })
        .collect();
    if kept.len() == reply.len() {
        return reply.concat();
    }
    let mut out = Vec::new();
    for (i, line) in kept.iter().enumerate() {
        match line.get(3) {
            Some(b'-' | b' ') => {
                out.extend_from_slice(&line[..3]);
                out.push(if i + 1 == kept.len() { b' ' } else { b'-' });
                out.extend_from_slice(&line[4..]);
            }
            _ => out.extend_from_slice(line),
        }
    }
    out
}

/// Where message data ends in what the client sent so far.
#[derive(Debug, PartialEq, Eq)]
enum DataScan {
    /// The final dot line is `buffer[start..end]`; the message is `buffer[..start]`.
    FinalDot { start: usize, end: usize },
    /// No final dot yet; `buffer[..forwardable]` is message data for sure. What follows
    /// (`.` or `.\r` at a line start) may be the start of the final dot.
    Partial { forwardable: usize },
}

/// Finds the final dot: a line that is just `.`. Lines end at LF, with or without CR
/// before it, as Postfix reads them (`smtpd_forbid_bare_newline = no`, the default of
/// its version in the stack); a client following RFC 5321 sends CRLF anyway.
fn scan_data(buffer: &[u8], at_line_start: bool) -> DataScan {
    let mut line_start = at_line_start;
    for (i, &byte) in buffer.iter().enumerate() {
        if line_start && byte == b'.' {
            let rest = &buffer[i + 1..];
            if rest.starts_with(b"\r\n") {
                return DataScan::FinalDot {
                    start: i,
                    end: i + 3,
                };
            }
            if rest.starts_with(b"\n") {
                return DataScan::FinalDot {
                    start: i,
                    end: i + 2,
                };
            }
            if rest.is_empty() || rest == b"\r" {
                return DataScan::Partial { forwardable: i };
            }
        }
        line_start = byte == b'\n';
    }
    DataScan::Partial {
        forwardable: buffer.len(),
    }
}

/// A poisoned lock only means a connection task panicked; the data is still usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(reply: &str) -> Vec<Vec<u8>> {
        reply
            .split_inclusive('\n')
            .map(|line| line.as_bytes().to_vec())
            .collect()
    }

    #[test]
    fn the_final_dot_is_found_only_alone_on_its_line() {
        assert_eq!(
            scan_data(b"Subject: x\r\n\r\nhi\r\n.\r\nQUIT\r\n", true),
            DataScan::FinalDot { start: 18, end: 21 }
        );
        // An empty message: data mode starts at a line start.
        assert_eq!(
            scan_data(b".\r\n", true),
            DataScan::FinalDot { start: 0, end: 3 }
        );
        assert_eq!(
            scan_data(b".\r\n", false),
            DataScan::Partial { forwardable: 3 }
        );
        // Dot-stuffed lines and dots inside lines are message data.
        assert_eq!(
            scan_data(b"..\r\n.x\r\na.\r\n", true),
            DataScan::Partial { forwardable: 12 }
        );
        // Bare LF ends lines as it does for Postfix.
        assert_eq!(
            scan_data(b"hi\n.\n", true),
            DataScan::FinalDot { start: 3, end: 5 }
        );
    }

    #[test]
    fn a_final_dot_split_across_reads_is_held_back() {
        assert_eq!(
            scan_data(b"hi\r\n.", true),
            DataScan::Partial { forwardable: 4 }
        );
        assert_eq!(
            scan_data(b"hi\r\n.\r", true),
            DataScan::Partial { forwardable: 4 }
        );
        assert_eq!(
            scan_data(b"\r\n", true),
            DataScan::Partial { forwardable: 2 }
        );
        // The held-back dot arrives with its CRLF at the start of the next read.
        assert_eq!(
            scan_data(b".\r\n", true),
            DataScan::FinalDot { start: 0, end: 3 }
        );
    }

    #[test]
    fn chunking_is_hidden_from_the_ehlo_reply() {
        let middle = lines("250-mail\r\n250-CHUNKING\r\n250 SMTPUTF8\r\n");
        assert_eq!(without_chunking(&middle), b"250-mail\r\n250 SMTPUTF8\r\n");
        let last = lines("250-mail\r\n250-8BITMIME\r\n250 CHUNKING\r\n");
        assert_eq!(without_chunking(&last), b"250-mail\r\n250 8BITMIME\r\n");
        let none = lines("250-mail\r\n250 PIPELINING\r\n");
        assert_eq!(without_chunking(&none), none.concat());
    }

    #[test]
    fn replies_and_commands_are_read_as_smtp_says() {
        assert!(is_continuation(b"250-mail\r\n"));
        assert!(!is_continuation(b"250 ok\r\n"));
        assert!(!is_continuation(b"250\r\n"));
        assert_eq!(reply_code(&lines("354 go ahead\r\n")), Some(354));
        assert_eq!(reply_code(&lines("oops\r\n")), None);
        assert_eq!(verb(b"auth PLAIN abc\r\n"), b"AUTH");
        assert_eq!(verb(b"DATA\r\n"), b"DATA");
        assert_eq!(verb(b"quit\n"), b"QUIT");
    }

    #[test]
    fn an_endless_line_is_refused() {
        let mut buffer = vec![b'a'; MAX_LINE + 1];
        assert!(take_line(&mut buffer).is_err());
        let mut buffer = b"EHLO x\r\nMAIL".to_vec();
        assert_eq!(
            take_line(&mut buffer).unwrap(),
            Some(b"EHLO x\r\n".to_vec())
        );
        assert_eq!(take_line(&mut buffer).unwrap(), None);
        assert_eq!(buffer, b"MAIL");
    }
}
