//! A fault-injecting TCP proxy for tests of what a client does when the network fails.
//!
//! [`FaultProxy`] listens on `127.0.0.1:0` and forwards every accepted connection to a
//! target (say, Dovecot's IMAPS port). It copies bytes and nothing else, so TLS passes
//! through untouched and the client still verifies the real server's certificate. The
//! test chooses a [`Fault`] per connection: drop the connection after so many bytes in
//! one direction, stall that direction while keeping the sockets open, or slow it down.
//! Bytes are counted per connection and per direction.
//!
//! Plain threads, two per connection: a test opens a handful of connections, and a
//! blocking copy loop is easier to reason about than a reactor when the point is to
//! cut it off at an exact byte.

use std::collections::{BTreeMap, VecDeque};
use std::io::{ErrorKind, Read as _, Write as _};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{Context as _, Result};

/// How long the proxy waits to reach the target before giving up on a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How often a stalled direction checks whether its connection has ended.
const STALL_POLL: Duration = Duration::from_millis(10);
/// The copy buffer; small enough that a drop lands close to its byte even without
/// splitting, though every fault splits chunks at its exact byte anyway.
const CHUNK: usize = 16 * 1024;

/// Which way bytes flow through the proxy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From the client (the code under test) to the server.
    ClientToServer,
    /// From the server back to the client.
    ServerToClient,
}

impl Direction {
    /// Both directions, client to server first.
    pub const BOTH: [Direction; 2] = [Direction::ClientToServer, Direction::ServerToClient];
}

/// What goes wrong on a connection. A fault names one direction; the other direction of
/// the same connection is forwarded faithfully until the fault ends the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Forward everything, both ways.
    None,
    /// Forward exactly `bytes` bytes in `direction`, then close both sides abruptly:
    /// both sockets are shut down (the peers see the bytes, then end of stream) and
    /// closed with `SO_LINGER` 0, so a peer that keeps talking gets a reset. With
    /// `bytes == 0` the connection is dropped as soon as it is accepted.
    DropAfterBytes {
        /// The direction whose bytes are counted.
        direction: Direction,
        /// How many bytes pass before the drop.
        bytes: u64,
    },
    /// Forward exactly `bytes` bytes in `direction`, then forward nothing more that way
    /// while keeping both sockets open, as a dead route does: the client only notices
    /// through its own timeout. The other direction keeps flowing. The proxy stops
    /// reading the stalled side, so its sender eventually blocks on a full buffer. The
    /// connection lasts until the other direction ends (a client giving up on a stalled
    /// reply closes, and that is seen), [`FaultProxy::kill_all`], or the proxy's drop.
    StallAfterBytes {
        /// The direction that stalls.
        direction: Direction,
        /// How many bytes pass before the stall.
        bytes: u64,
    },
    /// Wait `delay` before forwarding each chunk read in `direction`: a slow link.
    Delay {
        /// The direction that is slowed down.
        direction: Direction,
        /// The wait before each chunk.
        delay: Duration,
    },
}

impl Fault {
    /// The direction the fault acts on, if any.
    pub fn direction(&self) -> Option<Direction> {
        match *self {
            Fault::None => None,
            Fault::DropAfterBytes { direction, .. }
            | Fault::StallAfterBytes { direction, .. }
            | Fault::Delay { direction, .. } => Some(direction),
        }
    }
}

/// A deterministic drop or stall at a pseudo-random point: the same `seed` always gives
/// the same fault, so a failing trial of a "100 random faults" test can be replayed
/// alone. The kind (drop or stall), the direction and the byte count (`0..=max_bytes`)
/// come from a 64-bit linear congruential generator seeded with `seed`.
pub fn random_fault(seed: u64, max_bytes: u64) -> Fault {
    let mut state = seed;
    let mut next = || {
        // Knuth's MMIX constants; the high half is the well-mixed part.
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        state >> 32
    };
    // Discard one step so that small neighbouring seeds do not start alike.
    next();
    let drop = next() & 1 == 0;
    let direction = if next() & 1 == 0 {
        Direction::ClientToServer
    } else {
        Direction::ServerToClient
    };
    let wide = (next() << 32) | next();
    let bytes = match max_bytes.checked_add(1) {
        Some(span) => wide % span,
        None => wide,
    };
    if drop {
        Fault::DropAfterBytes { direction, bytes }
    } else {
        Fault::StallAfterBytes { direction, bytes }
    }
}

/// A running proxy. Dropping it stops the listener and drops every live connection.
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

/// State shared by the proxy handle, its accept loop and its connections.
struct Shared {
    target: SocketAddr,
    stopping: AtomicBool,
    fault: Mutex<Fault>,
    next_faults: Mutex<VecDeque<Fault>>,
    accepted: AtomicU64,
    live: Mutex<BTreeMap<u64, Arc<Connection>>>,
}

impl FaultProxy {
    /// Starts a proxy on `127.0.0.1:0` forwarding to `target`, with no fault.
    pub fn start(target: SocketAddr) -> Result<FaultProxy> {
        let listener =
            TcpListener::bind("127.0.0.1:0").context("Cannot bind the fault proxy's listener")?;
        let addr = listener
            .local_addr()
            .context("Cannot read the fault proxy's address")?;
        let shared = Arc::new(Shared {
            target,
            stopping: AtomicBool::new(false),
            fault: Mutex::new(Fault::None),
            next_faults: Mutex::new(VecDeque::new()),
            accepted: AtomicU64::new(0),
            live: Mutex::new(BTreeMap::new()),
        });
        let acceptor = std::thread::Builder::new()
            .name(format!("fault-proxy-{}", addr.port()))
            .spawn({
                let shared = Arc::clone(&shared);
                move || accept_loop(&listener, &shared)
            })
            .context("Cannot start the fault proxy's thread")?;
        Ok(FaultProxy {
            addr,
            shared,
            acceptor: Some(acceptor),
        })
    }

    /// Where clients connect instead of the target.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address connections are forwarded to.
    pub fn target(&self) -> SocketAddr {
        self.shared.target
    }

    /// Sets the fault for every connection accepted from now on (connections already
    /// open keep theirs). One-shot faults from [`FaultProxy::set_fault_for_next`] come
    /// first.
    pub fn set_fault(&self, fault: Fault) {
        *lock(&self.shared.fault) = fault;
    }

    /// Queues a fault for the next accepted connection only; calling it several times
    /// queues one fault per future connection, in order. After the queue runs out,
    /// connections get the fault of [`FaultProxy::set_fault`].
    pub fn set_fault_for_next(&self, fault: Fault) {
        lock(&self.shared.next_faults).push_back(fault);
    }

    /// How many connections the proxy has accepted since it started.
    pub fn connections(&self) -> u64 {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// How many connections are open right now (both directions not yet finished).
    pub fn live_connections(&self) -> usize {
        lock(&self.shared.live).len()
    }

    /// Drops every live connection now, abruptly (as [`Fault::DropAfterBytes`] does).
    /// The listener keeps accepting.
    pub fn kill_all(&self) {
        let live: Vec<Arc<Connection>> = lock(&self.shared.live).values().cloned().collect();
        for connection in live {
            connection.abort();
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // The accept loop blocks in accept(): one connection of our own wakes it up to
        // see the flag. If that fails the listener is gone already.
        let _ = TcpStream::connect_timeout(&self.addr, CONNECT_TIMEOUT);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
        self.kill_all();
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    for incoming in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        // A failed accept (the client gave up already) concerns that client only.
        let Ok(client) = incoming else { continue };
        let fault = lock(&shared.next_faults)
            .pop_front()
            .unwrap_or_else(|| *lock(&shared.fault));
        let id = shared.accepted.fetch_add(1, Ordering::SeqCst);
        // The target may be slow to answer: connect off the accept thread.
        let shared = Arc::clone(shared);
        // Without a thread the connection is dropped, which the client sees as a fault.
        let _ = std::thread::Builder::new()
            .name(format!("fault-proxy-conn-{id}"))
            .spawn(move || serve(id, client, fault, &shared));
    }
}

/// Connects to the target and runs the two copy loops of one connection.
fn serve(id: u64, client: TcpStream, fault: Fault, shared: &Arc<Shared>) {
    let Ok(server) = TcpStream::connect_timeout(&shared.target, CONNECT_TIMEOUT) else {
        // The client sees the refusal as an abrupt close, as it would without the proxy.
        abort_stream(&client);
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let connection = Arc::new(Connection {
        client,
        server,
        ended: AtomicBool::new(false),
        finished: [AtomicBool::new(false), AtomicBool::new(false)],
    });
    {
        let mut live = lock(&shared.live);
        if shared.stopping.load(Ordering::SeqCst) {
            connection.abort();
            return;
        }
        live.insert(id, Arc::clone(&connection));
    }
    let reverse = std::thread::Builder::new()
        .name(format!("fault-proxy-conn-{id}-s2c"))
        .spawn({
            let connection = Arc::clone(&connection);
            let shared = Arc::clone(shared);
            move || {
                connection.pump(Direction::ServerToClient, fault);
                connection.finish(Direction::ServerToClient, id, &shared);
            }
        });
    if reverse.is_err() {
        connection.abort();
        connection.finish(Direction::ServerToClient, id, shared);
    }
    connection.pump(Direction::ClientToServer, fault);
    connection.finish(Direction::ClientToServer, id, shared);
}

/// One proxied connection: the two sockets and how far each direction got.
struct Connection {
    client: TcpStream,
    server: TcpStream,
    /// Set when the connection was torn down on purpose (fault, `kill_all`, drop).
    ended: AtomicBool,
    /// Per direction (index of [`Direction::BOTH`]): its copy loop has returned.
    finished: [AtomicBool; 2],
}

impl Connection {
    fn ends(&self, direction: Direction) -> (&TcpStream, &TcpStream) {
        match direction {
            Direction::ClientToServer => (&self.client, &self.server),
            Direction::ServerToClient => (&self.server, &self.client),
        }
    }

    /// Copies one direction until end of stream, an error or the fault says stop.
    fn pump(&self, direction: Direction, fault: Fault) {
        let (mut from, mut to) = self.ends(direction);
        let own_fault = if fault.direction() == Some(direction) {
            fault
        } else {
            Fault::None
        };
        // Bytes this direction may still forward before its fault fires.
        let mut budget = match own_fault {
            Fault::DropAfterBytes { bytes, .. } | Fault::StallAfterBytes { bytes, .. } => {
                Some(bytes)
            }
            Fault::None | Fault::Delay { .. } => None,
        };
        let mut buffer = vec![0_u8; CHUNK];
        loop {
            if budget == Some(0) {
                self.fire(direction, own_fault);
                return;
            }
            let n = match from.read(&mut buffer) {
                Ok(0) => {
                    // Half-close: the other side sees end of stream and may still answer.
                    let _ = to.shutdown(Shutdown::Write);
                    return;
                }
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => {
                    self.abort();
                    return;
                }
            };
            let allowed = match budget {
                // Both fit in u64 and the minimum is at most n: no truncation.
                Some(left) => n.min(usize::try_from(left).unwrap_or(usize::MAX)),
                None => n,
            };
            if let Fault::Delay { delay, .. } = own_fault {
                std::thread::sleep(delay);
            }
            if self.ended.load(Ordering::SeqCst) {
                return;
            }
            if to.write_all(&buffer[..allowed]).is_err() {
                self.abort();
                return;
            }
            if let Some(left) = budget.as_mut() {
                *left -= allowed as u64;
            }
        }
    }

    /// Makes the fault of a direction whose byte budget is spent happen.
    fn fire(&self, direction: Direction, fault: Fault) {
        match fault {
            Fault::DropAfterBytes { .. } => self.abort(),
            Fault::StallAfterBytes { .. } => {
                // Hold the line open without reading until the connection ends some
                // other way: torn down, or the other direction is done (the client
                // gave up and closed, or the server hung up), after which nobody could
                // ever receive anything.
                let other = match direction {
                    Direction::ClientToServer => Direction::ServerToClient,
                    Direction::ServerToClient => Direction::ClientToServer,
                };
                while !self.ended.load(Ordering::SeqCst) && !self.is_finished(other) {
                    std::thread::sleep(STALL_POLL);
                }
                self.abort();
            }
            Fault::None | Fault::Delay { .. } => {}
        }
    }

    /// Closes both sides abruptly. Shutting the sockets down wakes both copy loops
    /// (reads return end of stream, writes fail) and sends the peers what was written
    /// so far followed by FIN; zero linger turns the final close into a reset.
    fn abort(&self) {
        self.ended.store(true, Ordering::SeqCst);
        abort_stream(&self.client);
        abort_stream(&self.server);
    }

    fn is_finished(&self, direction: Direction) -> bool {
        self.finished[direction_index(direction)].load(Ordering::SeqCst)
    }

    /// Records that a direction's loop returned; the second one forgets the connection,
    /// which closes its sockets once the threads have dropped their references.
    fn finish(&self, direction: Direction, id: u64, shared: &Shared) {
        self.finished[direction_index(direction)].store(true, Ordering::SeqCst);
        if Direction::BOTH.iter().all(|d| self.is_finished(*d)) {
            lock(&shared.live).remove(&id);
        }
    }
}

fn direction_index(direction: Direction) -> usize {
    match direction {
        Direction::ClientToServer => 0,
        Direction::ServerToClient => 1,
    }
}

/// Zero linger (through Tokio's socket wrapper, which needs no runtime for this) and
/// shutdown; the reset goes out when the last descriptor of the socket closes.
fn abort_stream(stream: &TcpStream) {
    if let Ok(duplicate) = stream.try_clone() {
        let _ = tokio::net::TcpSocket::from_std_stream(duplicate).set_zero_linger();
    }
    let _ = stream.shutdown(Shutdown::Both);
}

/// A poisoned lock only means a copy thread panicked; the data is still usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Instant;

    /// An echo server on 127.0.0.1:0 that reports, per connection, how many bytes it
    /// received in total once the connection ends.
    struct EchoServer {
        addr: SocketAddr,
        received: mpsc::Receiver<u64>,
    }

    fn echo_server() -> EchoServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, received) = mpsc::channel();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let tx = tx.clone();
                std::thread::spawn(move || {
                    let mut total = 0_u64;
                    let mut buffer = [0_u8; 4096];
                    loop {
                        match stream.read(&mut buffer) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => {
                                total += n as u64;
                                if stream.write_all(&buffer[..n]).is_err() {
                                    break;
                                }
                            }
                        }
                    }
                    let _ = tx.send(total);
                });
            }
        });
        EchoServer { addr, received }
    }

    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 % 251) as u8).collect()
    }

    /// Reads until end of stream or an error (a reset), with a timeout guarding
    /// against a hang; returns what arrived.
    fn read_to_end_or_reset(stream: &mut TcpStream) -> Vec<u8> {
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut got = Vec::new();
        let mut buffer = [0_u8; 4096];
        loop {
            match stream.read(&mut buffer) {
                Ok(0) => return got,
                Ok(n) => got.extend_from_slice(&buffer[..n]),
                Err(e) => {
                    assert!(
                        !matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
                        "the connection was neither closed nor reset: {e}"
                    );
                    return got;
                }
            }
        }
    }

    fn wait_until(what: &str, condition: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !condition() {
            assert!(Instant::now() < deadline, "timed out waiting until {what}");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn pass_through_is_byte_exact() {
        let echo = echo_server();
        let proxy = FaultProxy::start(echo.addr).unwrap();
        let data = pattern(3 * 1024 * 1024 + 7);
        let mut client = TcpStream::connect(proxy.addr()).unwrap();
        let writer = {
            let mut client = client.try_clone().unwrap();
            let data = data.clone();
            std::thread::spawn(move || {
                client.write_all(&data).unwrap();
                client.shutdown(Shutdown::Write).unwrap();
            })
        };
        let got = read_to_end_or_reset(&mut client);
        writer.join().unwrap();
        assert_eq!(got.len(), data.len());
        assert!(got == data, "the echoed bytes differ from the sent ones");
        assert_eq!(echo.received.recv().unwrap(), data.len() as u64);
        assert_eq!(proxy.connections(), 1);
        wait_until("the connection is forgotten", || {
            proxy.live_connections() == 0
        });
    }

    #[test]
    fn drop_after_bytes_server_to_client_delivers_exactly_n_then_closes() {
        let echo = echo_server();
        let proxy = FaultProxy::start(echo.addr).unwrap();
        proxy.set_fault(Fault::DropAfterBytes {
            direction: Direction::ServerToClient,
            bytes: 1000,
        });
        let data = pattern(5000);
        let mut client = TcpStream::connect(proxy.addr()).unwrap();
        client.write_all(&data).unwrap();
        let got = read_to_end_or_reset(&mut client);
        assert_eq!(got, data[..1000]);
        wait_until("the connection is forgotten", || {
            proxy.live_connections() == 0
        });
    }

    #[test]
    fn drop_after_bytes_client_to_server_lets_exactly_n_reach_the_server() {
        let echo = echo_server();
        let proxy = FaultProxy::start(echo.addr).unwrap();
        proxy.set_fault(Fault::DropAfterBytes {
            direction: Direction::ClientToServer,
            bytes: 1234,
        });
        let mut client = TcpStream::connect(proxy.addr()).unwrap();
        // The write may fail once the proxy has reset the connection.
        let _ = client.write_all(&pattern(10_000));
        let got = read_to_end_or_reset(&mut client);
        assert!(got.len() <= 1234, "{} bytes came back", got.len());
        let received = echo.received.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(received, 1234);
    }

    #[test]
    fn drop_after_zero_bytes_closes_at_once() {
        let echo = echo_server();
        let proxy = FaultProxy::start(echo.addr).unwrap();
        proxy.set_fault(Fault::DropAfterBytes {
            direction: Direction::ServerToClient,
            bytes: 0,
        });
        let mut client = TcpStream::connect(proxy.addr()).unwrap();
        assert!(read_to_end_or_reset(&mut client).is_empty());
    }

    #[test]
    fn stall_after_bytes_delivers_n_then_nothing_while_open() {
        let echo = echo_server();
        let proxy = FaultProxy::start(echo.addr).unwrap();
        proxy.set_fault(Fault::StallAfterBytes {
            direction: Direction::ServerToClient,
            bytes: 100,
        });
        let data = pattern(1000);
        let mut client = TcpStream::connect(proxy.addr()).unwrap();
        client.write_all(&data).unwrap();
        let mut got = vec![0_u8; 100];
        client
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        client.read_exact(&mut got).unwrap();
        assert_eq!(got, data[..100]);

        client
            .set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let started = Instant::now();
        let mut more = [0_u8; 16];
        let err = client.read(&mut more).expect_err("a stalled read returned");
        assert!(
            matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
            "{err}"
        );
        assert!(started.elapsed() >= Duration::from_millis(250));
        // Still open: the client can write, and the proxy still holds the connection.
        client.write_all(b"still there?").unwrap();
        assert_eq!(proxy.live_connections(), 1);

        // Giving up ends the stalled connection on the proxy too.
        drop(client);
        wait_until("the stalled connection is forgotten", || {
            proxy.live_connections() == 0
        });
    }

    #[test]
    fn stall_client_to_server_holds_the_request() {
        let echo = echo_server();
        let proxy = FaultProxy::start(echo.addr).unwrap();
        proxy.set_fault(Fault::StallAfterBytes {
            direction: Direction::ClientToServer,
            bytes: 10,
        });
        let data = pattern(50);
        let mut client = TcpStream::connect(proxy.addr()).unwrap();
        client.write_all(&data).unwrap();
        let mut got = vec![0_u8; 10];
        client
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        client.read_exact(&mut got).unwrap();
        assert_eq!(got, data[..10]);
        client
            .set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let mut more = [0_u8; 16];
        assert!(client.read(&mut more).is_err());
    }

    #[test]
    fn delay_slows_each_chunk() {
        let echo = echo_server();
        let proxy = FaultProxy::start(echo.addr).unwrap();
        proxy.set_fault(Fault::Delay {
            direction: Direction::ServerToClient,
            delay: Duration::from_millis(200),
        });
        let mut client = TcpStream::connect(proxy.addr()).unwrap();
        let started = Instant::now();
        client.write_all(b"ping").unwrap();
        let mut got = [0_u8; 4];
        client.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"ping");
        assert!(started.elapsed() >= Duration::from_millis(200));
    }

    #[test]
    fn kill_all_drops_every_live_connection_and_keeps_listening() {
        let echo = echo_server();
        let proxy = FaultProxy::start(echo.addr).unwrap();
        let mut clients: Vec<TcpStream> = (0..3)
            .map(|_| TcpStream::connect(proxy.addr()).unwrap())
            .collect();
        for client in &mut clients {
            client.write_all(b"hello").unwrap();
            let mut got = [0_u8; 5];
            client.read_exact(&mut got).unwrap();
            assert_eq!(&got, b"hello");
        }
        assert_eq!(proxy.live_connections(), 3);
        proxy.kill_all();
        for client in &mut clients {
            assert!(read_to_end_or_reset(client).is_empty());
        }
        wait_until("every connection is forgotten", || {
            proxy.live_connections() == 0
        });

        let mut after = TcpStream::connect(proxy.addr()).unwrap();
        after.write_all(b"again").unwrap();
        let mut got = [0_u8; 5];
        after.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"again");
        assert_eq!(proxy.connections(), 4);
    }

    #[test]
    fn set_fault_applies_to_later_connections_only() {
        let echo = echo_server();
        let proxy = FaultProxy::start(echo.addr).unwrap();
        let mut early = TcpStream::connect(proxy.addr()).unwrap();
        early.write_all(b"a").unwrap();
        let mut one = [0_u8; 1];
        early.read_exact(&mut one).unwrap();

        proxy.set_fault(Fault::DropAfterBytes {
            direction: Direction::ServerToClient,
            bytes: 2,
        });
        let mut late = TcpStream::connect(proxy.addr()).unwrap();
        late.write_all(b"abcdef").unwrap();
        assert_eq!(read_to_end_or_reset(&mut late), b"ab");

        let data = pattern(100_000);
        early.write_all(&data).unwrap();
        let mut got = vec![0_u8; data.len()];
        early.read_exact(&mut got).unwrap();
        assert!(got == data);
    }

    #[test]
    fn set_fault_for_next_is_one_shot_and_queued() {
        let echo = echo_server();
        let proxy = FaultProxy::start(echo.addr).unwrap();
        proxy.set_fault_for_next(Fault::DropAfterBytes {
            direction: Direction::ServerToClient,
            bytes: 1,
        });
        proxy.set_fault_for_next(Fault::DropAfterBytes {
            direction: Direction::ServerToClient,
            bytes: 2,
        });
        for expected in [&b"x"[..], b"xy", b"xyz"] {
            let mut client = TcpStream::connect(proxy.addr()).unwrap();
            client.write_all(b"xyz").unwrap();
            if expected.len() == 3 {
                let mut got = [0_u8; 3];
                client.read_exact(&mut got).unwrap();
                assert_eq!(&got, expected);
            } else {
                assert_eq!(read_to_end_or_reset(&mut client), expected);
            }
        }
    }

    #[test]
    fn unreachable_target_closes_the_client() {
        // A port that was free a moment ago: nothing listens there.
        let free = TcpListener::bind("127.0.0.1:0").unwrap();
        let target = free.local_addr().unwrap();
        drop(free);
        let proxy = FaultProxy::start(target).unwrap();
        let mut client = TcpStream::connect(proxy.addr()).unwrap();
        assert!(read_to_end_or_reset(&mut client).is_empty());
    }

    #[test]
    fn dropping_the_proxy_stops_listener_and_connections() {
        let echo = echo_server();
        let proxy = FaultProxy::start(echo.addr).unwrap();
        let addr = proxy.addr();
        let mut client = TcpStream::connect(addr).unwrap();
        client.write_all(b"hi").unwrap();
        let mut got = [0_u8; 2];
        client.read_exact(&mut got).unwrap();
        drop(proxy);
        assert!(read_to_end_or_reset(&mut client).is_empty());
        assert!(TcpStream::connect(addr).is_err());
    }

    #[test]
    fn random_fault_is_deterministic_bounded_and_varied() {
        let faults: Vec<Fault> = (0..100).map(|seed| random_fault(seed, 5000)).collect();
        let again: Vec<Fault> = (0..100).map(|seed| random_fault(seed, 5000)).collect();
        assert_eq!(faults, again);
        let mut kinds = std::collections::BTreeSet::new();
        let mut byte_counts = std::collections::BTreeSet::new();
        for fault in &faults {
            let (kind, direction, bytes) = match *fault {
                Fault::DropAfterBytes { direction, bytes } => ("drop", direction, bytes),
                Fault::StallAfterBytes { direction, bytes } => ("stall", direction, bytes),
                other => panic!("unexpected fault {other:?}"),
            };
            assert!(bytes <= 5000);
            kinds.insert((kind, direction_index(direction)));
            byte_counts.insert(bytes);
        }
        assert_eq!(kinds.len(), 4, "every kind and direction appears");
        assert!(byte_counts.len() > 90, "the byte counts are spread out");
        assert!(matches!(
            random_fault(7, 0),
            Fault::DropAfterBytes { bytes: 0, .. } | Fault::StallAfterBytes { bytes: 0, .. }
        ));
        // The full range does not overflow.
        let _ = random_fault(1, u64::MAX);
    }
}
