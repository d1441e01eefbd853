//! A guard on the byte stream between TLS and async-imap's parser.
//!
//! async-imap buffers a whole response before parsing it and imap-proto parses nested
//! lists recursively, so a hostile server could exhaust memory with an endless line or a
//! huge literal, or the stack with deeply nested parentheses. [`GuardedStream`] scans the
//! bytes as they arrive, passes them through unchanged, and fails the read as soon as one
//! of the [`ProtocolLimits`] is crossed, before the parser ever sees the offending bytes.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// How much a server may send in one piece before the connection is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProtocolLimits {
    /// Longest line outside literals, in bytes including its line ending. A response that
    /// continues after a literal starts a new line there.
    pub max_line: usize,
    /// Largest literal a server may announce, in bytes.
    pub max_literal: u64,
    /// Deepest parenthesis nesting within one response.
    pub max_nesting: u32,
}

impl Default for ProtocolLimits {
    fn default() -> Self {
        Self {
            // Servers without ESEARCH answer a SEARCH with every matching UID on a single
            // line: up to 11 bytes per UID, so 4 MiB still covers a few hundred thousand
            // messages while staying far below what a literal may take anyway.
            max_line: 4 * 1024 * 1024,
            // Literals carry whole messages; mail larger than this is not mail.
            max_literal: 64 * 1024 * 1024,
            // Real BODYSTRUCTUREs stay well below this even with forwarded messages
            // nested several levels deep.
            max_nesting: 64,
        }
    }
}

/// Which of the [`ProtocolLimits`] a server crossed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// [`ProtocolLimits::max_line`].
    LineLength,
    /// [`ProtocolLimits::max_literal`].
    LiteralSize,
    /// [`ProtocolLimits::max_nesting`].
    Nesting,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Limit::LineLength => "line length",
            Limit::LiteralSize => "literal size",
            Limit::Nesting => "nesting depth",
        })
    }
}

/// The error inside the [`io::Error`] (kind [`io::ErrorKind::InvalidData`]) that a
/// [`GuardedStream`] returns once the server crossed a limit; find it with
/// [`LimitExceeded::from_io_error`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("IMAP server exceeded the {limit} limit: {seen} where at most {max} is allowed")]
pub struct LimitExceeded {
    /// The limit that was crossed.
    pub limit: Limit,
    /// The value seen: a line length when the line became too long (the line itself may
    /// be longer), an announced literal size (`u64::MAX` if it did not even fit in a u64),
    /// or a nesting depth.
    pub seen: u64,
    /// The configured limit.
    pub max: u64,
}

impl LimitExceeded {
    /// Finds the limit breach behind an I/O error from a [`GuardedStream`], if that is
    /// what it was.
    pub fn from_io_error(err: &io::Error) -> Option<&LimitExceeded> {
        err.get_ref()?.downcast_ref()
    }
}

/// A stream whose reads fail once the server crosses a [`ProtocolLimits`] limit; writes
/// pass through untouched. After the first failure every later read fails the same way,
/// because the parser's view of the stream can no longer be trusted.
pub struct GuardedStream<S> {
    inner: S,
    scanner: Scanner,
    failure: Option<LimitExceeded>,
}

impl<S> GuardedStream<S> {
    /// Wraps `inner`, which must be at the start of the server's byte stream (or at a
    /// line boundary, as after STARTTLS).
    pub fn new(inner: S, limits: ProtocolLimits) -> Self {
        Self {
            inner,
            scanner: Scanner::new(limits),
            failure: None,
        }
    }

    /// The wrapped stream, e.g. to inspect the TLS session.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// Unwraps the stream, dropping the guard's state.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

// Manual so that neither mail data nor the inner stream ends up in logs.
impl<S> fmt::Debug for GuardedStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GuardedStream")
            .field("limits", &self.scanner.limits)
            .field("failure", &self.failure)
            .finish_non_exhaustive()
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for GuardedStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(failure) = &this.failure {
            return Poll::Ready(Err(limit_error(failure.clone())));
        }
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        let fresh = buf.filled().get(before..).unwrap_or_default();
        if let Err(failure) = this.scanner.scan(fresh) {
            // Withhold the whole chunk: the parser must not see the bytes that broke the
            // limit, and the connection is finished anyway.
            buf.set_filled(before);
            this.failure = Some(failure.clone());
            return Poll::Ready(Err(limit_error(failure)));
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for GuardedStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

fn limit_error(failure: LimitExceeded) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, failure)
}

/// Progress through a possible literal announcement `{N}` / `{N+}` + CRLF. The size is
/// `None` once it overflowed; that is only an error if the announcement completes, since
/// a brace in free text (a resp-text, say) is harmless.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Announcement {
    Idle,
    Open,
    Digits(Option<u64>),
    Plus(Option<u64>),
    Closed(Option<u64>),
    ClosedCr(Option<u64>),
}

impl Announcement {
    /// The state after byte `b` (any byte but LF, which the scanner handles itself).
    fn next(self, b: u8) -> Self {
        use Announcement::*;
        match (self, b) {
            (_, b'{') => Open,
            (Open, b'0'..=b'9') => Digits(Some(u64::from(b - b'0'))),
            (Digits(size), b'0'..=b'9') => {
                Digits(size.and_then(|n| n.checked_mul(10)?.checked_add(u64::from(b - b'0'))))
            }
            (Digits(size), b'+') => Plus(size),
            (Digits(size) | Plus(size), b'}') => Closed(size),
            (Closed(size), b'\r') => ClosedCr(size),
            _ => Idle,
        }
    }
}

/// The guard's state machine. It works a byte at a time outside literals and keeps all
/// its state between calls, so the stream may be split anywhere.
#[derive(Debug, Clone)]
struct Scanner {
    limits: ProtocolLimits,
    /// Literal bytes still to come; nothing in them is interpreted.
    literal_left: u64,
    /// Bytes in the current line so far.
    line_len: usize,
    /// Open parentheses in the current response.
    depth: u32,
    in_quoted: bool,
    escaped: bool,
    announcement: Announcement,
}

impl Scanner {
    fn new(limits: ProtocolLimits) -> Self {
        Self {
            limits,
            literal_left: 0,
            line_len: 0,
            depth: 0,
            in_quoted: false,
            escaped: false,
            announcement: Announcement::Idle,
        }
    }

    fn scan(&mut self, mut bytes: &[u8]) -> Result<(), LimitExceeded> {
        while let Some((&b, rest)) = bytes.split_first() {
            if self.literal_left > 0 {
                // Literal data is most of the traffic and needs no inspection: skip it at once.
                let take =
                    usize::try_from(self.literal_left).map_or(bytes.len(), |n| n.min(bytes.len()));
                let (_, rest) = bytes.split_at_checked(take).unwrap_or_default();
                self.literal_left -= take as u64;
                bytes = rest;
            } else {
                self.line_byte(b)?;
                bytes = rest;
            }
        }
        Ok(())
    }

    fn line_byte(&mut self, b: u8) -> Result<(), LimitExceeded> {
        self.line_len += 1;
        if self.line_len > self.limits.max_line {
            return Err(self.exceeded(Limit::LineLength, self.line_len as u64));
        }

        if b == b'\n' {
            // A bare LF ends a line too (for length), but only CRLF announces a literal,
            // exactly as imap-proto parses it; anything else would desynchronise us.
            let literal = match self.announcement {
                Announcement::ClosedCr(size) => Some(size),
                _ => None,
            };
            self.line_len = 0;
            self.announcement = Announcement::Idle;
            // Quoted strings cannot contain CR or LF, so none is open at any line end
            // (the parser would have failed); clearing it keeps a stray quote in free
            // text from switching off the nesting count.
            self.in_quoted = false;
            self.escaped = false;
            match literal {
                Some(Some(size)) if size <= self.limits.max_literal => self.literal_left = size,
                Some(size) => {
                    return Err(self.exceeded(Limit::LiteralSize, size.unwrap_or(u64::MAX)));
                }
                // The response is complete: the next line is a new one.
                None => self.depth = 0,
            }
            return Ok(());
        }

        // Tracked regardless of quoting so that a naive view of quotes can never hide a
        // literal from the guard that the parser would accept.
        self.announcement = self.announcement.next(b);
        if self.in_quoted {
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.in_quoted = false;
            }
            return Ok(());
        }
        match b {
            b'"' => self.in_quoted = true,
            b'(' => {
                self.depth += 1;
                if self.depth > self.limits.max_nesting {
                    return Err(self.exceeded(Limit::Nesting, u64::from(self.depth)));
                }
            }
            b')' => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
        Ok(())
    }

    fn exceeded(&self, limit: Limit, seen: u64) -> LimitExceeded {
        let max = match limit {
            Limit::LineLength => self.limits.max_line as u64,
            Limit::LiteralSize => self.limits.max_literal,
            Limit::Nesting => u64::from(self.limits.max_nesting),
        };
        LimitExceeded { limit, seen, max }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// Hands out the given chunks one per read, then EOF: lets tests choose the splits.
    struct Chunked(VecDeque<Vec<u8>>);

    impl AsyncRead for Chunked {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            if let Some(mut chunk) = self.0.pop_front() {
                let n = chunk.len().min(buf.remaining());
                buf.put_slice(&chunk[..n]);
                if n < chunk.len() {
                    self.0.push_front(chunk.split_off(n));
                }
            }
            Poll::Ready(Ok(()))
        }
    }

    async fn read_chunks(chunks: Vec<&[u8]>, limits: ProtocolLimits) -> io::Result<Vec<u8>> {
        // An empty read means EOF, so empty chunks are dropped rather than handed out.
        let chunks = chunks.into_iter().filter(|c| !c.is_empty());
        let inner = Chunked(chunks.map(<[u8]>::to_vec).collect());
        let mut guarded = GuardedStream::new(inner, limits);
        let mut out = Vec::new();
        guarded.read_to_end(&mut out).await?;
        Ok(out)
    }

    fn scan(data: &[u8], limits: ProtocolLimits) -> Result<(), LimitExceeded> {
        Scanner::new(limits).scan(data)
    }

    /// Scans `data` split at every position and in single bytes; all must agree.
    fn scan_every_split(data: &[u8], limits: ProtocolLimits) -> Result<(), LimitExceeded> {
        let whole = scan(data, limits);
        for at in 0..=data.len() {
            let (a, b) = data.split_at(at);
            let mut scanner = Scanner::new(limits);
            let split = scanner.scan(a).and_then(|()| scanner.scan(b));
            assert_eq!(split, whole, "split at {at}");
        }
        let mut scanner = Scanner::new(limits);
        let bytewise = data.chunks(1).try_for_each(|byte| scanner.scan(byte));
        assert_eq!(bytewise, whole, "byte by byte");
        whole
    }

    fn limits(max_line: usize, max_literal: u64, max_nesting: u32) -> ProtocolLimits {
        ProtocolLimits {
            max_line,
            max_literal,
            max_nesting,
        }
    }

    const FETCH: &[u8] = b"* 12 FETCH (UID 42 FLAGS (\\Seen) BODY[HEADER.FIELDS (SUBJECT)] {20}\r\n\
Subject: ((((( }\r\n\r\n BODY[TEXT] {5+}\r\n\"(\r\n\n INTERNALDATE \"01-Jan-2024 10:00:00 +0000\")\r\n\
a1 OK FETCH completed\r\n";

    #[tokio::test]
    async fn fetch_with_literals_passes_unchanged() {
        let out = read_chunks(vec![FETCH], ProtocolLimits::default())
            .await
            .unwrap();
        assert_eq!(out, FETCH);
    }

    #[tokio::test]
    async fn every_split_passes_unchanged() {
        for at in 0..=FETCH.len() {
            let (a, b) = FETCH.split_at(at);
            let out = read_chunks(vec![a, b], ProtocolLimits::default())
                .await
                .unwrap();
            assert_eq!(out, FETCH, "split at {at}");
        }
        let bytes: Vec<&[u8]> = FETCH.chunks(1).collect();
        assert_eq!(
            read_chunks(bytes, ProtocolLimits::default()).await.unwrap(),
            FETCH
        );
    }

    #[test]
    fn literal_content_is_not_interpreted() {
        // The literals hold parens, a quote and a bare LF; with nesting 2 and a short line
        // limit this only passes if literal bytes are skipped.
        assert_eq!(scan_every_split(FETCH, limits(70, 20, 2)), Ok(()));
        assert_eq!(
            scan_every_split(b"* 1 FETCH (BODY[] {6}\r\n((((((\r\n", limits(64, 6, 1)),
            Ok(())
        );
    }

    #[test]
    fn nesting_survives_literals_and_resets_at_end_of_response() {
        let lim = limits(64, 100, 2);
        // Depth 2 before the literal and back to 0 only after the closing parens.
        assert_eq!(
            scan_every_split(b"* 1 FETCH (A (B {1}\r\nx C) D)\r\n", lim),
            Ok(())
        );
        // The third level is opened after a literal, inside the same response.
        let err = scan_every_split(b"* 1 FETCH (A (B {1}\r\nx (C)))\r\n", lim).unwrap_err();
        assert_eq!((err.limit, err.seen, err.max), (Limit::Nesting, 3, 2));
        // Unbalanced parens do not leak into the next response.
        assert_eq!(
            scan_every_split(b"* 1 FETCH ((\r\n* 2 FETCH ((\r\n", lim),
            Ok(())
        );
    }

    #[test]
    fn parens_in_quoted_strings_do_not_count() {
        let lim = limits(128, 100, 1);
        assert_eq!(
            scan_every_split(
                b"* LIST (\\HasNoChildren) \"(((\" \"a\\\"(((\\\\\"\r\n",
                lim
            ),
            Ok(())
        );
        // After the escaped backslash the quote closes, so the next paren counts.
        let err = scan_every_split(b"* X (\"\\\\\" ())\r\n", lim).unwrap_err();
        assert_eq!(err.limit, Limit::Nesting);
    }

    #[test]
    fn too_long_line_errors() {
        let lim = limits(16, 100, 8);
        assert_eq!(scan_every_split(b"* OK fifteen..\r\n", lim), Ok(()));
        let err = scan_every_split(b"* OK sixteen...\r\n", lim).unwrap_err();
        assert_eq!((err.limit, err.seen, err.max), (Limit::LineLength, 17, 16));
        // A bare LF ends a line as well.
        assert_eq!(
            scan_every_split(b"* OK 0123456789\n* OK 0123456789\n", lim),
            Ok(())
        );
        // Line length restarts after a literal.
        assert_eq!(
            scan_every_split(b"* 1 FETCH {2}\r\nab 0123456789)\r\n", lim),
            Ok(())
        );
    }

    #[test]
    fn too_big_literal_errors() {
        let lim = limits(64, 123, 8);
        assert_eq!(
            scan_every_split(b"* 1 FETCH (BODY[] {123}\r\n", lim),
            Ok(())
        );
        let err = scan_every_split(b"* 1 FETCH (BODY[] {124}\r\n", lim).unwrap_err();
        assert_eq!(
            (err.limit, err.seen, err.max),
            (Limit::LiteralSize, 124, 123)
        );
        assert_eq!(
            scan_every_split(b"* 1 FETCH (BODY[] {124+}\r\n", lim),
            Err(err)
        );
    }

    #[test]
    fn overflowing_literal_size_errors() {
        let err = scan_every_split(
            b"* 1 FETCH (BODY[] {999999999999999999999}\r\n",
            ProtocolLimits::default(),
        )
        .unwrap_err();
        assert_eq!((err.limit, err.seen), (Limit::LiteralSize, u64::MAX));
    }

    #[test]
    fn braces_that_do_not_announce_a_literal_are_ignored() {
        let lim = limits(64, 10, 8);
        for line in [
            &b"* OK [ALERT] {99999999999999999999999} is just text\r\n"[..],
            b"* OK {} {+} {12a}\r\n",
            b"* OK {99999}\n",      // bare LF: not a literal for imap-proto either
            b"* OK {99999}\r \r\n", // CR not followed by LF
        ] {
            assert_eq!(
                scan_every_split(line, lim),
                Ok(()),
                "{:?}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[tokio::test]
    async fn errors_are_sticky_and_findable() {
        let inner = Chunked(VecDeque::from([
            b"* OK {999}\r\n".to_vec(),
            b"* OK\r\n".to_vec(),
        ]));
        let mut guarded = GuardedStream::new(inner, limits(64, 10, 8));
        let mut buf = [0u8; 64];
        for _ in 0..3 {
            let err = guarded.read(&mut buf).await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidData);
            let limit = LimitExceeded::from_io_error(&err).unwrap();
            assert_eq!(
                (limit.limit, limit.seen, limit.max),
                (Limit::LiteralSize, 999, 10)
            );
            assert_eq!(
                limit.to_string(),
                "IMAP server exceeded the literal size limit: 999 where at most 10 is allowed"
            );
        }
    }

    #[tokio::test]
    async fn writes_pass_through_and_debug_shows_no_data() {
        let (client, mut server) = tokio::io::duplex(64);
        let mut guarded = GuardedStream::new(client, ProtocolLimits::default());
        guarded.write_all(b"a1 NOOP\r\n").await.unwrap();
        guarded.flush().await.unwrap();
        let mut got = [0u8; 9];
        server.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"a1 NOOP\r\n");

        server.write_all(b"* 3 EXISTS\r\n").await.unwrap();
        let mut line = [0u8; 12];
        guarded.read_exact(&mut line).await.unwrap();
        assert_eq!(&line, b"* 3 EXISTS\r\n");
        assert!(!format!("{guarded:?}").contains("EXISTS"));
    }

    #[test]
    fn guarded_stream_is_send_and_unpin() {
        fn check<T: Send + Unpin>() {}
        check::<GuardedStream<tokio::io::DuplexStream>>();
    }
}
