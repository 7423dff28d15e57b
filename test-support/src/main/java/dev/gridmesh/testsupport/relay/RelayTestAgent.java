package dev.gridmesh.testsupport.relay;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.protocol.relay.ControlMessage;
import dev.gridmesh.protocol.relay.FrameHeader;
import dev.gridmesh.protocol.relay.FrameType;
import dev.gridmesh.protocol.relay.Frames;
import dev.gridmesh.protocol.relay.RegistrationProof;
import dev.gridmesh.protocol.relay.RelayDecodeException;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509TrustManager;

/**
 * A blocking test agent: TLS 1.3 with the relay's certificate pinned, the HTTP upgrade, then frames. It shows the
 * whole client side of the protocol in one place (the real agent does the same with Netty). Not thread-safe,
 * except {@link #close()}.
 */
public final class RelayTestAgent implements AutoCloseable {
    /** One frame as read. */
    public record Frame(FrameHeader header, byte[] payload) {
        public ControlMessage control() throws RelayDecodeException {
            return ControlMessage.parse(ByteBuffer.wrap(payload));
        }
    }

    /** The relay answered Register with an Error. */
    public static final class RefusedException extends IOException {
        private final ControlMessage.Error error;

        RefusedException(ControlMessage.Error error) {
            super(error.code() + ": " + error.message());
            this.error = error;
        }

        public ControlMessage.Error error() {
            return error;
        }
    }

    private final SSLSocket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final ControlMessage.ServerHello hello;

    private RelayTestAgent(SSLSocket socket, DataInputStream in, OutputStream out, ControlMessage.ServerHello hello) {
        this.socket = socket;
        this.in = in;
        this.out = out;
        this.hello = hello;
    }

    /** Connects, checks the pin ({@code sha256:HEX}), upgrades and reads the ServerHello. */
    public static RelayTestAgent connect(InetSocketAddress relay, String pin, Duration timeout) throws IOException {
        SSLSocket s = (SSLSocket) pinnedContext(pin).getSocketFactory().createSocket();
        try {
            s.connect(relay, (int) timeout.toMillis());
            s.setSoTimeout((int) timeout.toMillis());
            s.setTcpNoDelay(true);
            s.setEnabledProtocols(new String[] {"TLSv1.3"});
            s.startHandshake();
            OutputStream out = s.getOutputStream();
            out.write(("GET " + Frames.UPGRADE_PATH + " HTTP/1.1\r\nHost: relay\r\nConnection: Upgrade\r\nUpgrade: "
                    + Frames.UPGRADE_TOKEN + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            String head = readHead(in);
            if (!head.startsWith("HTTP/1.1 101")) {
                throw new IOException("upgrade refused: " + head.lines().findFirst().orElse(""));
            }
            RelayTestAgent a = new RelayTestAgent(s, in, out, null);
            ControlMessage first = a.readFrame().control();
            if (!(first instanceof ControlMessage.ServerHello h)) {
                throw new IOException("expected ServerHello, got " + first);
            }
            return new RelayTestAgent(s, in, out, h);
        } catch (IOException e) {
            s.close();
            throw e;
        } catch (RelayDecodeException e) {
            s.close();
            throw new IOException(e.getMessage(), e);
        }
    }

    /** Plain HTTP request over TLS (e.g. {@code GET /healthz}); returns status line and body. */
    public static String httpGet(InetSocketAddress relay, String pin, String path, Duration timeout) throws IOException {
        try (SSLSocket s = (SSLSocket) pinnedContext(pin).getSocketFactory().createSocket()) {
            s.connect(relay, (int) timeout.toMillis());
            s.setSoTimeout((int) timeout.toMillis());
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Reads an HTTP response head up to its blank line (at most 8 KiB), byte by byte so nothing after it is consumed. */
    public static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int last4 = 0;
        while (last4 != 0x0d0a0d0a) {
            int c = in.read();
            if (c < 0) {
                throw new EOFException("connection closed in HTTP response head");
            }
            b.write(c);
            if (b.size() > 8192) {
                throw new IOException("HTTP response head too long");
            }
            last4 = last4 << 8 | c;
        }
        return b.toString(StandardCharsets.US_ASCII);
    }

    /** An SSLContext that trusts exactly the certificate whose DER SHA-256 is {@code pin}. */
    public static SSLContext pinnedContext(String pin) throws IOException {
        String want = pin.strip().toLowerCase(Locale.ROOT);
        X509TrustManager tm = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                throw new CertificateException("client certificates not used");
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                try {
                    String got = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(chain[0].getEncoded()));
                    if (!MessageDigest.isEqual(got.getBytes(StandardCharsets.US_ASCII), want.getBytes(StandardCharsets.US_ASCII))) {
                        throw new CertificateException("relay certificate " + got + " does not match pin " + want);
                    }
                } catch (GeneralSecurityException e) {
                    throw new CertificateException(e);
                }
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        try {
            SSLContext c = SSLContext.getInstance("TLSv1.3");
            c.init(null, new X509TrustManager[] {tm}, null);
            return c;
        } catch (GeneralSecurityException e) {
            throw new IOException(e);
        }
    }

    public ControlMessage.ServerHello hello() {
        return hello;
    }

    /** Sends a Register with a valid proof for this connection. */
    public void sendRegister(NodePrivateKey key, String hostname, String token) throws IOException {
        send(RegistrationProof.register(key, hello, hostname, token));
    }

    /** Registers and returns RegisterOk; throws {@link RefusedException} when the relay answers Error. */
    public ControlMessage.RegisterOk register(NodePrivateKey key, String hostname, String token) throws IOException {
        sendRegister(key, hostname, token);
        ControlMessage m = readControl();
        return switch (m) {
            case ControlMessage.RegisterOk ok -> ok;
            case ControlMessage.Error e -> throw new RefusedException(e);
            default -> throw new IOException("expected RegisterOk, got " + m);
        };
    }

    public void send(ControlMessage m) throws IOException {
        sendRaw(Frames.control(m));
    }

    public void sendPacket(NodePublicKey dst, byte[] packet) throws IOException {
        sendRaw(Frames.packet(dst, packet, 0, packet.length));
    }

    public void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** The next frame; {@link SocketTimeoutException} after the timeout, {@link EOFException} when closed. */
    public Frame readFrame() throws IOException {
        byte[] h = new byte[FrameHeader.SIZE];
        in.readFully(h);
        FrameHeader header;
        try {
            header = FrameHeader.decode(ByteBuffer.wrap(h), Integer.MAX_VALUE);
        } catch (RelayDecodeException e) {
            throw new IOException("relay sent a bad frame header: " + e.getMessage(), e);
        }
        byte[] p = new byte[header.length()];
        in.readFully(p);
        return new Frame(header, p);
    }

    /** The next control message, answering Pings on the way and skipping other frames. */
    public ControlMessage readControl() throws IOException {
        while (true) {
            Frame f = readFrame();
            if (f.header().type() != FrameType.CONTROL) {
                continue;
            }
            try {
                ControlMessage m = f.control();
                if (m instanceof ControlMessage.Ping p) {
                    send(new ControlMessage.Pong(p.nonce()));
                    continue;
                }
                return m;
            } catch (RelayDecodeException e) {
                throw new IOException("relay sent a bad message: " + e.getMessage(), e);
            }
        }
    }

    /** Reads control messages until one of type {@code type} (others skipped). */
    public <T extends ControlMessage> T await(Class<T> type) throws IOException {
        while (true) {
            ControlMessage m = readControl();
            if (type.isInstance(m)) {
                return type.cast(m);
            }
        }
    }

    /** Reads until a PACKET frame arrives (control messages skipped, pings answered). */
    public Frame awaitPacket() throws IOException {
        while (true) {
            Frame f = readFrame();
            if (f.header().type() == FrameType.PACKET) {
                return f;
            }
            if (f.header().type() == FrameType.CONTROL) {
                try {
                    if (f.control() instanceof ControlMessage.Ping p) {
                        send(new ControlMessage.Pong(p.nonce()));
                    }
                } catch (RelayDecodeException e) {
                    throw new IOException(e.getMessage(), e);
                }
            }
        }
    }

    /** Reads until the relay closes the connection; returns the last Error seen, or null. */
    public ControlMessage.Error awaitClose() throws IOException {
        ControlMessage.Error last = null;
        try {
            while (true) {
                Frame f = readFrame();
                if (f.header().type() == FrameType.CONTROL) {
                    try {
                        if (f.control() instanceof ControlMessage.Error e) {
                            last = e;
                        }
                    } catch (RelayDecodeException ignored) {
                        // keep reading until EOF
                    }
                }
            }
        } catch (EOFException | javax.net.ssl.SSLException | java.net.SocketException e) {
            return last;
        }
    }

    public void setReadTimeout(Duration d) throws IOException {
        socket.setSoTimeout((int) d.toMillis());
    }

    /** Stop reading at the socket level (a slow receiver). */
    public Socket socket() {
        return socket;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
