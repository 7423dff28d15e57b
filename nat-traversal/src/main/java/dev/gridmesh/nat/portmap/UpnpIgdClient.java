package dev.gridmesh.nat.portmap;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The I/O edge of UPnP-IGD: SSDP discovery of the gateway's IGD (M-SEARCH sent unicast to the gateway and, when
 * enabled, to 239.255.255.250 out of the one interface that faces the gateway, TTL 2), description fetch and SOAP
 * actions over {@link HttpClient}. Only answers from the gateway's own address are used, and only control URLs on
 * the description's host. Every wait is bounded by {@link PortMapperOptions#httpTimeout()}. Bad answers are counted
 * in {@link #dropCounts()}. Thread-safe for sequential use by one caller at a time.
 */
public final class UpnpIgdClient {
    private static final Logger log = LoggerFactory.getLogger(UpnpIgdClient.class);
    private final InetAddress gateway;
    private final InetAddress localAddress;
    private final PortMapperOptions options;
    private final HttpClient http;
    private final Map<String, Long> drops = new TreeMap<>();

    public UpnpIgdClient(InetAddress gateway, InetAddress localAddress, PortMapperOptions options) {
        this.gateway = requireNonNull(gateway, "gateway");
        this.localAddress = requireNonNull(localAddress, "localAddress");
        this.options = requireNonNull(options, "options");
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).proxy(HttpClient.Builder.NO_PROXY)
                .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(options.httpTimeout()).build();
    }

    /** Finds the gateway's WAN connection service, or empty (no answer, or nothing usable). Bounded. */
    public Optional<IgdDescription.Service> discover() throws IOException, InterruptedException {
        Optional<URI> location = search();
        if (location.isEmpty()) {
            return Optional.empty();
        }
        HttpResponse<byte[]> r;
        try {
            r = BoundedHttp.send(http, HttpRequest.newBuilder(location.get()).timeout(options.httpTimeout()).GET()
                    .build(), options.httpTimeout());
        } catch (IOException e) {
            drop("description_fetch_failed", e.toString());
            return Optional.empty();
        }
        if (r.statusCode() != 200) {
            drop("description_http_status", "HTTP " + r.statusCode());
            return Optional.empty();
        }
        return switch (IgdDescription.parse(r.body(), location.get())) {
            case Decoded.Ok<IgdDescription> ok -> Optional.of(ok.message().best());
            case Decoded.Err<IgdDescription> err -> {
                drop("description_" + err.reason().name().toLowerCase(), err.detail());
                yield Optional.empty();
            }
        };
    }

    private Optional<URI> search() throws IOException {
        byte[] msearch = SsdpCodec.mSearch(SsdpCodec.IGD_V1, 1, SsdpCodec.MULTICAST_GROUP + ":" + SsdpCodec.PORT);
        try (DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET); Selector sel = Selector.open()) {
            ch.bind(new InetSocketAddress(localAddress, 0));
            ch.configureBlocking(false);
            ch.register(sel, SelectionKey.OP_READ);
            ch.send(ByteBuffer.wrap(msearch), new InetSocketAddress(gateway, options.ssdpPort()));
            if (options.ssdpMulticast()) {
                NetworkInterface nif = NetworkInterface.getByInetAddress(localAddress);
                if (nif != null) {
                    // only out of the interface that faces the gateway; TTL 2 as UDA 1.1 recommends
                    ch.setOption(StandardSocketOptions.IP_MULTICAST_IF, nif);
                    ch.setOption(StandardSocketOptions.IP_MULTICAST_TTL, 2);
                    ch.setOption(StandardSocketOptions.IP_MULTICAST_LOOP, false);
                    try {
                        ch.send(ByteBuffer.wrap(msearch), new InetSocketAddress(
                                InetAddress.getByName(SsdpCodec.MULTICAST_GROUP), options.ssdpPort()));
                    } catch (IOException e) {
                        drop("multicast_send_failed", e.toString());
                    }
                }
            }
            long deadline = System.nanoTime() + options.httpTimeout().toNanos();
            ByteBuffer buf = ByteBuffer.allocate(SsdpCodec.MAX_LENGTH + 1);
            int budget = 64; // answers read before giving up, whatever they are
            while (budget > 0) {
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left <= 0) {
                    return Optional.empty();
                }
                sel.select(Math.max(1, left));
                sel.selectedKeys().clear();
                for (InetSocketAddress from; budget > 0
                        && (from = (InetSocketAddress) ch.receive(buf.clear())) != null; budget--) {
                    if (!from.getAddress().equals(gateway)) {
                        drop("ssdp_wrong_source", String.valueOf(from));
                        continue;
                    }
                    switch (SsdpCodec.decodeResponse(buf.flip())) {
                        case Decoded.Err<SsdpCodec.SearchResponse> err ->
                                drop("ssdp_" + err.reason().name().toLowerCase(), err.detail());
                        case Decoded.Ok<SsdpCodec.SearchResponse> ok -> {
                            URI loc = ok.message().location();
                            if (!gateway.getHostAddress().equals(loc.getHost())) {
                                drop("ssdp_location_elsewhere", loc.toString());
                            } else {
                                return Optional.of(loc);
                            }
                        }
                    }
                }
            }
            return Optional.empty();
        }
    }

    /** Calls {@code action}; empty when the answer is not a SOAP response or fault (counted), or on I/O failure. */
    public Optional<IgdSoap.Result> call(IgdDescription.Service service, String action, Map<String, String> args)
            throws InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(service.controlUrl()).timeout(options.httpTimeout())
                .header("Content-Type", "text/xml; charset=\"utf-8\"")
                .header("SOAPAction", IgdSoap.soapAction(service.serviceType(), action))
                .POST(HttpRequest.BodyPublishers.ofByteArray(IgdSoap.request(service.serviceType(), action, args)))
                .build();
        HttpResponse<byte[]> r;
        try {
            r = BoundedHttp.send(http, req, options.httpTimeout());
        } catch (IOException e) {
            drop("soap_io", action + ": " + e);
            return Optional.empty();
        }
        return switch (IgdSoap.parseResponse(r.statusCode(), r.body(), action)) {
            case Decoded.Ok<IgdSoap.Result> ok -> Optional.of(ok.message());
            case Decoded.Err<IgdSoap.Result> err -> {
                drop("soap_" + err.reason().name().toLowerCase(), action + ": " + err.detail());
                yield Optional.empty();
            }
        };
    }

    /** GetExternalIPAddress: the gateway's external address, or empty. */
    public Optional<InetAddress> externalAddress(IgdDescription.Service service) throws InterruptedException {
        Optional<IgdSoap.Result> r = call(service, "GetExternalIPAddress", Map.of());
        if (r.isPresent() && r.get() instanceof IgdSoap.Result.Success s) {
            String text = s.values().getOrDefault("NewExternalIPAddress", "");
            Optional<InetAddress> a = literalIpv4(text);
            if (a.isEmpty()) {
                drop("soap_bad_external_address", SsdpCodec.abbreviate(text));
            }
            return a;
        }
        return Optional.empty();
    }

    /** Parses a dotted-quad without any name lookup. */
    static Optional<InetAddress> literalIpv4(String s) {
        String[] p = s.trim().split("\\.", -1);
        if (p.length != 4) {
            return Optional.empty();
        }
        byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) {
            if (!p[i].matches("\\d{1,3}")) {
                return Optional.empty();
            }
            int v = Integer.parseInt(p[i]);
            if (v > 255) {
                return Optional.empty();
            }
            b[i] = (byte) v;
        }
        InetAddress a = PmpCodec.ipv4(b);
        return a.isAnyLocalAddress() ? Optional.empty() : Optional.of(a);
    }

    private synchronized void drop(String reason, String detail) {
        drops.merge(reason, 1L, Long::sum);
        log.debug("upnp: {}: {}", reason, detail);
    }

    public synchronized Map<String, Long> dropCounts() {
        return Map.copyOf(drops);
    }
}
