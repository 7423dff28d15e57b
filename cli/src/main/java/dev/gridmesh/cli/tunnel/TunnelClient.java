package dev.gridmesh.cli.tunnel;

import dev.gridmesh.protocol.relay.FrameHeader;
import dev.gridmesh.protocol.relay.FrameType;
import dev.gridmesh.protocol.relay.Frames;
import dev.gridmesh.protocol.relay.RelayDecodeException;
import dev.gridmesh.protocol.stream.ResetCode;
import dev.gridmesh.protocol.stream.StreamMux;
import dev.gridmesh.protocol.stream.StreamTarget;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * One engineer stream through the relay, on plain blocking JDK sockets (no Netty: the ProxyCommand starts a JVM for
 * every ssh connection, so the start path stays small):
 * <pre>
 *   TCP + TLS 1.3 (leaf pinned) -> GET /gridmesh/v1/tunnel, Authorization: Bearer TOKEN -> 101 | 401 reason
 *   STREAM_OPEN(1, node:port) -> STREAM_OPEN(1, "") accepted | STREAM_RESET(1, code, reason)
 *   in -> DATA (never beyond the window), in EOF -> HALF_CLOSE;  DATA -> out, WINDOW_UPDATE per quarter window;
 *   HALF_CLOSE -> out closed, done (exit 0);  RESET -> reason, exit 1
 * </pre>
 * Not reusable: one stream per instance.
 */
public final class TunnelClient implements AutoCloseable {
    /** The relay refused or the stream was reset: {@code getMessage()} is the one-line reason for the terminal. */
    public static final class TunnelException extends IOException {
        public TunnelException(String message) {
            super(message);
        }
    }

    private static final int WINDOW = StreamMux.INITIAL_WINDOW;
    /**
     * Credit this client grants the relay per stream: the protocol's initial window plus one WINDOW_UPDATE right after
     * the accept (StreamMux's rule), so that the relay -> client leg keeps more in flight than one initial window
     * while the credit travels back through a busy host. Bytes are written out before credit returns, so this is also
     * the most the relay can have sent ahead of what this client delivered.
     */
    static final int RECV_WINDOW = 1024 * 1024;
    private static final long STREAM = 1;
    /**
     * DATA payload per frame from this client: header + payload = 16 KiB, one TLS record (a 16 KiB payload plus the
     * 12-byte header would cost two records, two seals, two writes).
     */
    static final int MAX_DATA = 16 * 1024 - FrameHeader.SIZE;

    /**
     * TLS 1.3 suites in this client's order of preference, which the relay (BoringSSL or the JDK) follows: AES-128-GCM
     * first (the JDK's default puts AES-256-GCM first; 10 AES rounds instead of 14 on every byte, in this client and
     * in the relay, for a margin that does not matter here; agents' BoringSSL clients already start with it).
     */
    static final String[] CIPHER_SUITES = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"};

    private final Credentials creds;
    private SSLSocket socket;
    private DataInputStream in;
    private OutputStream out;
    private final Object writeLock = new Object();
    private final Object windowLock = new Object();
    private long sendWindow = WINDOW;
    private volatile boolean done;
    private volatile boolean remoteEof;
    private volatile boolean upDone;
    private volatile String resetReason;

    public TunnelClient(Credentials creds) {
        this.creds = creds;
    }

    /** TLS to the relay with the pin checked. */
    private SSLSocket connect(int timeoutMs) throws IOException {
        SSLContext ctx;
        try {
            ctx = SSLContext.getInstance("TLSv1.3");
            ctx.init(null, new TrustManager[] {new PinTrust(creds.pin())}, null);
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("TLS: " + e.getMessage(), e);
        }
        Socket raw = new Socket();
        raw.setTcpNoDelay(true);
        try {
            raw.connect(new InetSocketAddress(creds.host(), creds.port()), timeoutMs);
        } catch (IOException e) {
            raw.close();
            throw new TunnelException("cannot connect to relay " + creds.server() + ": " + e.getMessage());
        }
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(raw, creds.host(), creds.port(), true);
        s.setEnabledProtocols(new String[] {"TLSv1.3"});
        s.setEnabledCipherSuites(CIPHER_SUITES);
        s.setUseClientMode(true);
        s.setSoTimeout(timeoutMs);
        try {
            s.startHandshake();
        } catch (IOException e) {
            s.close();
            Throwable c = e;
            while (c.getCause() != null) {
                c = c.getCause();
            }
            throw new TunnelException("TLS to relay " + creds.server() + ": " + c.getMessage());
        }
        return s;
    }

    /** Sends the HTTP request and reads the status line and headers; returns status code, fills {@code body}. */
    private int http(SSLSocket s, String method, String path, boolean upgrade, ByteArrayOutputStream body) throws IOException {
        String req = method + " " + path + " HTTP/1.1\r\nHost: " + creds.server() + "\r\n"
                + (upgrade ? "Connection: Upgrade\r\nUpgrade: " + Frames.UPGRADE_TOKEN + "\r\n" : "Connection: close\r\n")
                + "Authorization: Bearer " + creds.token() + "\r\n\r\n";
        OutputStream o = s.getOutputStream();
        o.write(req.getBytes(StandardCharsets.US_ASCII));
        o.flush();
        InputStream i = s.getInputStream();
        StringBuilder head = new StringBuilder();
        int state = 0;
        while (state < 4) {
            int b = i.read();
            if (b < 0) {
                throw new TunnelException("relay " + creds.server() + " closed the connection during the HTTP exchange");
            }
            head.append((char) b);
            if (head.length() > 8192) {
                throw new TunnelException("relay " + creds.server() + " sent an oversized HTTP header");
            }
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
        }
        String[] lines = head.toString().split("\r\n");
        String[] status = lines[0].split(" ", 3);
        int code;
        try {
            code = Integer.parseInt(status[1]);
        } catch (RuntimeException e) {
            throw new TunnelException("relay " + creds.server() + " answered: " + lines[0]);
        }
        if (code != 101 && body != null) {
            int len = -1;
            for (String l : lines) {
                if (l.regionMatches(true, 0, "content-length:", 0, 15)) {
                    len = Integer.parseInt(l.substring(15).strip());
                }
            }
            if (len >= 0 && len <= 65536) {
                body.write(i.readNBytes(len));
            }
        }
        return code;
    }

    /** The nodes and ports this user may reach: lines {@code NODE PORTS online|offline}. */
    public String nodes() throws IOException {
        try (SSLSocket s = connect(10_000)) {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            int code = http(s, "GET", Frames.UPGRADE_PATH + "/tunnel/nodes", false, body);
            String text = body.toString(StandardCharsets.UTF_8);
            if (code != 200) {
                throw new TunnelException("relay refused (" + code + "): " + text.strip());
            }
            return text;
        }
    }

    /**
     * Dials the relay and upgrades the connection, with no stream yet: the tunnel helper keeps one such spare, so
     * that its next stream costs one STREAM_OPEN round trip instead of a TLS handshake. The relay closes an upgraded
     * connection that carries no stream after 60 s ({@code TunnelService.DEFAULT_ENGINEER_IDLE}): open well before.
     */
    public void upgrade() throws IOException {
        socket = connect(15_000);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        int code = http(socket, "GET", Frames.UPGRADE_PATH + "/tunnel", true, body);
        if (code != 101) {
            socket.close();
            throw new TunnelException("relay refused (" + code + "): " + body.toString(StandardCharsets.UTF_8).strip());
        }
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    /**
     * Opens the stream to {@code target} (on the {@link #upgrade}d connection if there is one, else on a new one);
     * returns once the node accepted it, or throws with the reason.
     */
    public void open(StreamTarget target) throws IOException {
        if (socket == null) {
            upgrade();
        }
        send(FrameType.STREAM_OPEN, target.encode(), 0, target.encode().length);
        while (true) {
            Frame f = readFrame();
            if (f.type == FrameType.STREAM_OPEN && f.payload.length == 0) {
                byte[] inc = ByteBuffer.allocate(4).putInt(RECV_WINDOW - WINDOW).array();
                send(FrameType.STREAM_WINDOW_UPDATE, inc, 0, 4);
                break;
            }
            if (f.type == FrameType.STREAM_RESET) {
                socket.close();
                throw new TunnelException("tunnel to " + target + " refused: " + reason(f.payload));
            }
        }
        socket.setSoTimeout(0);
    }

    private static String reason(byte[] p) {
        if (p.length < 2) {
            return "reset";
        }
        ResetCode c = ResetCode.of(((p[0] & 0xff) << 8) | (p[1] & 0xff));
        String r = new String(p, 2, p.length - 2, StandardCharsets.UTF_8);
        return r.isEmpty() ? c.toString().toLowerCase() : r;
    }

    /** A frame read; a DATA frame's {@code payload} is the reader's buffer, valid until the next read. */
    private record Frame(FrameType type, long id, byte[] payload, int length) {}

    private final byte[] header = new byte[FrameHeader.SIZE];
    private byte[] dataBuf = new byte[16 * 1024];

    /** Reader thread only. DATA payloads land in one reused buffer (no array per frame); others get their own. */
    private Frame readFrame() throws IOException {
        in.readFully(header);
        FrameHeader fh;
        try {
            fh = FrameHeader.decode(ByteBuffer.wrap(header), Frames.MAX_PAYLOAD);
        } catch (RelayDecodeException e) {
            throw new TunnelException("relay sent a bad frame: " + e.getMessage());
        }
        int n = fh.length();
        byte[] p;
        if (fh.type() == FrameType.STREAM_DATA) {
            if (dataBuf.length < n) {
                dataBuf = new byte[n];
            }
            p = dataBuf;
        } else {
            p = new byte[n];
        }
        in.readFully(p, 0, n);
        return new Frame(fh.type(), fh.streamId(), p, n);
    }

    private void send(FrameType type, byte[] payload, int off, int len) throws IOException {
        byte[] f = new byte[FrameHeader.SIZE + len];
        new FrameHeader(type, 0, STREAM, len).encode(f, 0);
        System.arraycopy(payload, off, f, FrameHeader.SIZE, len);
        synchronized (writeLock) {
            out.write(f);
            out.flush();
        }
    }

    /**
     * Joins the open stream to {@code src}/{@code dst} until the remote end half-closes (then {@code dst} is closed
     * and this returns normally; with {@code untilBothEof} only once {@code src} reached EOF too and the stream's
     * HALF_CLOSE went out) or the stream is reset ({@link TunnelException}). {@code src} EOF half-closes the stream.
     */
    public void pump(InputStream src, OutputStream dst, boolean untilBothEof) throws IOException {
        Thread up = Thread.ofPlatform().daemon().name("tunnel-up").start(() -> upstream(src));
        try {
            long unacked = 0;
            while (true) {
                Frame f;
                try {
                    f = readFrame();
                } catch (IOException e) {
                    if (remoteEof && upDone) {
                        return;
                    }
                    throw new TunnelException(resetReason != null ? resetReason : "relay closed the connection");
                }
                switch (f.type) {
                    case STREAM_DATA -> {
                        dst.write(f.payload, 0, f.length);
                        dst.flush();
                        unacked += f.length;
                        if (unacked >= RECV_WINDOW / 4) {
                            byte[] inc = ByteBuffer.allocate(4).putInt((int) unacked).array();
                            send(FrameType.STREAM_WINDOW_UPDATE, inc, 0, 4);
                            unacked = 0;
                        }
                    }
                    case STREAM_WINDOW_UPDATE -> {
                        if (f.payload.length == 4) {
                            synchronized (windowLock) {
                                sendWindow += ByteBuffer.wrap(f.payload).getInt() & 0xffff_ffffL;
                                windowLock.notifyAll();
                            }
                        }
                    }
                    case STREAM_HALF_CLOSE -> {
                        dst.close();
                        remoteEof = true;
                        if (!untilBothEof || upDone) {
                            return;
                        }
                    }
                    case STREAM_RESET -> throw new TunnelException("tunnel reset: " + reason(f.payload));
                    default -> { }
                }
            }
        } finally {
            done = true;
            synchronized (windowLock) {
                windowLock.notifyAll();
            }
            up.interrupt();
        }
    }

    /** Writes a frame whose payload already sits in {@code frame} after {@link FrameHeader#SIZE} bytes of room. */
    private void sendInPlace(FrameType type, byte[] frame, int len) throws IOException {
        new FrameHeader(type, 0, STREAM, len).encode(frame, 0);
        synchronized (writeLock) {
            out.write(frame, 0, FrameHeader.SIZE + len);
            out.flush();
        }
    }

    private void upstream(InputStream src) {
        byte[] buf = new byte[FrameHeader.SIZE + MAX_DATA]; // read straight behind the header: no copy per frame
        try {
            while (!done) {
                int room;
                synchronized (windowLock) {
                    while (sendWindow <= 0 && !done) {
                        windowLock.wait();
                    }
                    room = (int) Math.min(sendWindow, MAX_DATA);
                }
                int n = src.read(buf, FrameHeader.SIZE, room);
                if (n < 0) {
                    sendInPlace(FrameType.STREAM_HALF_CLOSE, buf, 0);
                    upDone = true;
                    if (remoteEof) {
                        socket.close(); // the reader waits for nothing more
                    }
                    return;
                }
                if (n == 0) {
                    continue;
                }
                synchronized (windowLock) {
                    sendWindow -= n;
                }
                sendInPlace(FrameType.STREAM_DATA, buf, n);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            if (!done) {
                resetReason = "local input: " + e.getMessage();
                try {
                    byte[] r = ("engineer input failed: " + e.getMessage()).getBytes(StandardCharsets.UTF_8);
                    byte[] p = new byte[2 + Math.min(r.length, 200)];
                    p[1] = (byte) ResetCode.CANCELLED.code();
                    System.arraycopy(r, 0, p, 2, p.length - 2);
                    send(FrameType.STREAM_RESET, p, 0, p.length);
                } catch (IOException ignored) {
                    // the connection is gone too; the reader notices
                }
            }
        }
    }

    @Override
    public void close() {
        done = true;
        try {
            if (socket != null) {
                socket.close();
            }
        } catch (IOException ignored) {
            // closing
        }
    }

    /** Accepts exactly the relay leaf whose SHA-256 of DER matches the pin (no host name check, as agents do). */
    private static final class PinTrust implements X509TrustManager {
        private final String pin;

        PinTrust(String pin) {
            this.pin = pin;
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("not a server");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            if (chain == null || chain.length == 0) {
                throw new CertificateException("no certificate");
            }
            String got;
            try {
                got = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(chain[0].getEncoded()));
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new CertificateException(e);
            }
            if (!MessageDigest.isEqual(got.getBytes(StandardCharsets.US_ASCII), pin.getBytes(StandardCharsets.US_ASCII))) {
                throw new CertificateException("relay certificate " + got + " does not match the pinned " + pin);
            }
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
