package dev.gridmesh.testsupport.portmap;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A home gateway on loopback for port mapping clients: one UDP socket answering PCP (version 2) and NAT-PMP
 * (version 0) as RFC 6887/6886 describe, one UDP socket answering SSDP M-SEARCH, and an HTTP server with a
 * miniupnpd-like IGD v2 description and WANIPConnection:2 SOAP actions. All on ephemeral ports (see
 * {@link #pcpPort()}, {@link #ssdpPort()}). Written independently of the client codecs, from the RFC diagrams.
 *
 * <p>Mappings are kept in a table ({@link #mappings()}); {@link #restart()} forgets them and restarts the epoch as
 * a rebooted router would. {@link #garbageFirst(boolean)} makes every UDP answer follow a garbage datagram.
 * Thread-safe.
 */
public final class FakePortMapGateway implements AutoCloseable {
    /** A mapping the gateway holds: external port to internal address and port. */
    public record Mapping(String protocol, int externalPort, InetAddress internalAddress, int internalPort,
            long lifetimeSeconds) { }

    private static final Pattern ARG = Pattern.compile("<(New[A-Za-z]+)>([^<]*)</\\1>");
    private final InetAddress external;
    private final boolean pcp;
    private final boolean natPmp;
    private final boolean upnp;
    private final DatagramSocket udp;
    private final DatagramSocket ssdp;
    private final HttpServer http;
    private final Map<Integer, Mapping> mappings = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile long epochStartMillis = System.currentTimeMillis();
    private volatile long grantedLifetimeCap = Long.MAX_VALUE;
    private volatile boolean garbageFirst;

    /**
     * @param external the address the gateway reports as its external one
     * @param pcp answer PCP (else answer PCP requests as a NAT-PMP-only box: version 0, UNSUPPORTED_VERSION)
     * @param natPmp answer NAT-PMP (if neither, the UDP socket stays silent)
     * @param upnp answer SSDP and serve the IGD
     */
    public FakePortMapGateway(InetAddress external, boolean pcp, boolean natPmp, boolean upnp) throws IOException {
        this.external = external;
        this.pcp = pcp;
        this.natPmp = natPmp;
        this.upnp = upnp;
        InetAddress lo = InetAddress.getLoopbackAddress();
        this.udp = new DatagramSocket(new InetSocketAddress(lo, 0));
        this.ssdp = new DatagramSocket(new InetSocketAddress(lo, 0));
        this.http = HttpServer.create(new InetSocketAddress(lo, 0), 8);
        http.createContext("/rootDesc.xml", this::description);
        http.createContext("/ctl/IPConn", this::soap);
        http.start();
        threads.add(Thread.ofPlatform().daemon().name("fake-gw-udp").start(() -> loop(udp, this::answerUdp)));
        threads.add(Thread.ofPlatform().daemon().name("fake-gw-ssdp").start(() -> loop(ssdp, this::answerSsdp)));
    }

    public int pcpPort() {
        return udp.getLocalPort();
    }

    public int ssdpPort() {
        return ssdp.getLocalPort();
    }

    public Map<Integer, Mapping> mappings() {
        return Map.copyOf(mappings);
    }

    /** How many requests of a kind arrived: "pcp-map", "pcp-announce", "pmp-map", "pmp-address", "ssdp", "soap-X". */
    public int requests(String kind) {
        AtomicInteger n = requests.get(kind);
        return n == null ? 0 : n.get();
    }

    /** A reboot: mappings forgotten, epoch back to 0. */
    public void restart() {
        mappings.clear();
        epochStartMillis = System.currentTimeMillis();
    }

    /** Pretend the gateway has been up for {@code seconds} (its epoch), e.g. before a {@link #restart()}. */
    public void setUptime(long seconds) {
        epochStartMillis = System.currentTimeMillis() - seconds * 1000;
    }

    /** Grant at most this lifetime. */
    public void capLifetime(long seconds) {
        grantedLifetimeCap = seconds;
    }

    public void garbageFirst(boolean on) {
        garbageFirst = on;
    }

    private long epoch() {
        return (System.currentTimeMillis() - epochStartMillis) / 1000;
    }

    private void count(String kind) {
        requests.computeIfAbsent(kind, k -> new AtomicInteger()).incrementAndGet();
    }

    private interface Answer {
        byte[] answer(byte[] req, InetSocketAddress from);
    }

    private void loop(DatagramSocket s, Answer a) {
        byte[] buf = new byte[2048];
        while (!s.isClosed()) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                s.receive(p);
                byte[] req = java.util.Arrays.copyOf(p.getData(), p.getLength());
                byte[] resp = a.answer(req, (InetSocketAddress) p.getSocketAddress());
                if (resp != null) {
                    if (garbageFirst && s == udp) {
                        s.send(new DatagramPacket(new byte[] {2, (byte) 0x81, 0}, 3, p.getSocketAddress()));
                    }
                    s.send(new DatagramPacket(resp, resp.length, p.getSocketAddress()));
                }
            } catch (SocketException closed) {
                return;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private byte[] answerUdp(byte[] req, InetSocketAddress from) {
        if (req.length < 2) {
            return null;
        }
        int version = req[0] & 0xFF;
        if (version == 2) {
            if (!pcp) {
                // NAT-PMP-only box: version 0, opcode 128+op, result 1 (unsupported version), epoch
                return natPmp ? ByteBuffer.allocate(8).put((byte) 0).put((byte) (128 + (req[1] & 0x7F)))
                        .putShort((short) 1).putInt((int) epoch()).array() : null;
            }
            return answerPcp(ByteBuffer.wrap(req), from);
        }
        if (version == 0 && natPmp) {
            return answerPmp(ByteBuffer.wrap(req), from);
        }
        return null;
    }

    private byte[] answerPcp(ByteBuffer r, InetSocketAddress from) {
        int opcode = r.get(1) & 0x7F;
        long lifetime = r.getInt(4) & 0xFFFF_FFFFL;
        byte[] client = new byte[16];
        r.get(8, client);
        byte[] src = from.getAddress().getAddress();
        boolean match = client[10] == (byte) 0xFF && client[11] == (byte) 0xFF
                && java.util.Arrays.equals(client, 12, 16, src, 0, 4);
        if (opcode == 0) {
            count("pcp-announce");
            return pcpHeader(ByteBuffer.allocate(24), 0, 0, 0).array();
        }
        if (opcode != 1 || r.limit() < 60) {
            return pcpHeader(ByteBuffer.allocate(24), opcode, 4, 0).array(); // UNSUPP_OPCODE
        }
        count("pcp-map");
        byte[] nonce = new byte[12];
        r.get(24, nonce);
        int internalPort = r.getShort(40) & 0xFFFF;
        int suggested = r.getShort(42) & 0xFFFF;
        ByteBuffer out = ByteBuffer.allocate(60);
        if (!match) {
            pcpHeader(out, 1, 12, 0); // ADDRESS_MISMATCH
            out.put(nonce).put((byte) 17).put(new byte[3]).putShort((short) internalPort).putShort((short) 0)
                    .put(new byte[16]);
            return out.array();
        }
        long granted;
        int ext;
        if (lifetime == 0) {
            mappings.values().removeIf(m -> m.internalPort() == internalPort && m.protocol().equals("PCP"));
            granted = 0;
            ext = 0;
        } else {
            granted = Math.min(lifetime, grantedLifetimeCap);
            ext = place("PCP", suggested == 0 ? internalPort : suggested, from.getAddress(), internalPort, granted);
        }
        pcpHeader(out, 1, 0, granted);
        out.put(nonce).put((byte) 17).put(new byte[3]).putShort((short) internalPort).putShort((short) ext)
                .put(new byte[10]).put((byte) 0xFF).put((byte) 0xFF).put(external.getAddress());
        return out.array();
    }

    private ByteBuffer pcpHeader(ByteBuffer b, int opcode, int result, long lifetime) {
        return b.put((byte) 2).put((byte) (0x80 | opcode)).put((byte) 0).put((byte) result).putInt((int) lifetime)
                .putInt((int) epoch()).put(new byte[12]);
    }

    private byte[] answerPmp(ByteBuffer r, InetSocketAddress from) {
        int op = r.get(1) & 0xFF;
        if (op == 0) {
            count("pmp-address");
            return ByteBuffer.allocate(12).put((byte) 0).put((byte) 128).putShort((short) 0).putInt((int) epoch())
                    .put(external.getAddress()).array();
        }
        if (op != 1 || r.limit() < 12) {
            return ByteBuffer.allocate(8).put((byte) 0).put((byte) (128 + op)).putShort((short) 5)
                    .putInt((int) epoch()).array();
        }
        count("pmp-map");
        int internalPort = r.getShort(4) & 0xFFFF;
        int suggested = r.getShort(6) & 0xFFFF;
        long lifetime = r.getInt(8) & 0xFFFF_FFFFL;
        int ext;
        long granted;
        if (lifetime == 0) {
            mappings.values().removeIf(m -> m.internalPort() == internalPort && m.protocol().equals("NAT-PMP"));
            ext = 0;
            granted = 0;
        } else {
            granted = Math.min(lifetime, grantedLifetimeCap);
            ext = place("NAT-PMP", suggested == 0 ? internalPort : suggested, from.getAddress(), internalPort, granted);
        }
        return ByteBuffer.allocate(16).put((byte) 0).put((byte) 129).putShort((short) 0).putInt((int) epoch())
                .putShort((short) internalPort).putShort((short) ext).putInt((int) granted).array();
    }

    /** Takes {@code want} if free (or already this client's), else the next free port. */
    private synchronized int place(String proto, int want, InetAddress client, int internalPort, long lifetime) {
        int port = want;
        for (int i = 0; i < 1000; i++, port = port >= 65535 ? 1024 : port + 1) {
            Mapping m = mappings.get(port);
            if (m == null || (m.internalAddress().equals(client) && m.internalPort() == internalPort)) {
                mappings.put(port, new Mapping(proto, port, client, internalPort, lifetime));
                return port;
            }
        }
        throw new IllegalStateException("no free port");
    }

    /** Occupies an external port, as another host's mapping would. */
    public void occupy(int externalPort) {
        mappings.put(externalPort, new Mapping("OTHER", externalPort, InetAddress.getLoopbackAddress(), 1, 0));
    }

    private byte[] answerSsdp(byte[] req, InetSocketAddress from) {
        String text = new String(req, StandardCharsets.ISO_8859_1);
        if (!upnp || !text.startsWith("M-SEARCH * HTTP/1.1") || !text.contains("InternetGatewayDevice")) {
            return null;
        }
        count("ssdp");
        String loc = "http://" + http.getAddress().getAddress().getHostAddress() + ":" + http.getAddress().getPort()
                + "/rootDesc.xml";
        return ("HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\n"
                + "ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n"
                + "USN: uuid:00000000-0000-0000-0000-000000000001::urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n"
                + "EXT:\r\nSERVER: FakePortMapGateway UPnP/1.1\r\nLOCATION: " + loc + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
    }

    private void description(HttpExchange ex) throws IOException {
        String xml = "<?xml version=\"1.0\"?><root xmlns=\"urn:schemas-upnp-org:device-1-0\"><device>"
                + "<deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:2</deviceType><deviceList><device>"
                + "<deviceType>urn:schemas-upnp-org:device:WANDevice:2</deviceType><deviceList><device>"
                + "<deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:2</deviceType><serviceList><service>"
                + "<serviceType>urn:schemas-upnp-org:service:WANIPConnection:2</serviceType>"
                + "<serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId><controlURL>/ctl/IPConn</controlURL>"
                + "</service></serviceList></device></deviceList></device></deviceList></device></root>";
        reply(ex, 200, xml);
    }

    private void soap(HttpExchange ex) throws IOException {
        String action = String.valueOf(ex.getRequestHeaders().getFirst("SOAPAction"));
        action = action.substring(action.indexOf('#') + 1).replace("\"", "");
        count("soap-" + action);
        String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        Map<String, String> args = new ConcurrentHashMap<>();
        Matcher m = ARG.matcher(body);
        while (m.find()) {
            args.put(m.group(1), m.group(2));
        }
        InetAddress client = ex.getRemoteAddress().getAddress();
        switch (action) {
            case "GetExternalIPAddress" -> ok(ex, action, "<NewExternalIPAddress>" + external.getHostAddress()
                    + "</NewExternalIPAddress>");
            case "AddPortMapping", "AddAnyPortMapping" -> {
                int ext = Integer.parseInt(args.get("NewExternalPort"));
                int internal = Integer.parseInt(args.get("NewInternalPort"));
                if (!client.getHostAddress().equals(args.get("NewInternalClient"))) {
                    fault(ex, 606, "Action not authorized");
                    return;
                }
                Mapping existing = mappings.get(ext);
                boolean mine = existing != null && existing.internalAddress().equals(client)
                        && existing.internalPort() == internal;
                if (existing != null && !mine && action.equals("AddPortMapping")) {
                    fault(ex, 718, "ConflictInMappingEntry");
                    return;
                }
                long lease = Long.parseLong(args.get("NewLeaseDuration"));
                int placed = place("UPnP", ext, client, internal, lease);
                ok(ex, action, action.equals("AddAnyPortMapping") ? "<NewReservedPort>" + placed + "</NewReservedPort>"
                        : "");
            }
            case "DeletePortMapping" -> {
                int ext = Integer.parseInt(args.get("NewExternalPort"));
                if (mappings.remove(ext) == null) {
                    fault(ex, 714, "NoSuchEntryInArray");
                } else {
                    ok(ex, action, "");
                }
            }
            default -> fault(ex, 401, "Invalid Action");
        }
    }

    private static void ok(HttpExchange ex, String action, String inner) throws IOException {
        reply(ex, 200, "<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
                + "s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body><u:" + action + "Response "
                + "xmlns:u=\"urn:schemas-upnp-org:service:WANIPConnection:2\">" + inner + "</u:" + action
                + "Response></s:Body></s:Envelope>");
    }

    private static void fault(HttpExchange ex, int code, String desc) throws IOException {
        reply(ex, 500, "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><s:Fault>"
                + "<faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail>"
                + "<UPnPError xmlns=\"urn:schemas-upnp-org:control-1-0\"><errorCode>" + code + "</errorCode>"
                + "<errorDescription>" + desc + "</errorDescription></UPnPError></detail></s:Fault></s:Body>"
                + "</s:Envelope>");
    }

    private static void reply(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/xml; charset=\"utf-8\"");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
        ex.close();
    }

    @Override
    public void close() {
        udp.close();
        ssdp.close();
        http.stop(0);
        for (Thread t : threads) {
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
