package dev.gridmesh.nat.portmap;

import static java.util.Objects.requireNonNull;

import dev.gridmesh.nat.portmap.PcpMessage.AnnounceRequest;
import dev.gridmesh.nat.portmap.PcpMessage.AnnounceResponse;
import dev.gridmesh.nat.portmap.PcpMessage.MapRequest;
import dev.gridmesh.nat.portmap.PcpMessage.MapResponse;
import dev.gridmesh.nat.portmap.PcpMessage.Nonce;
import dev.gridmesh.nat.portmap.PcpMessage.OtherVersion;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.random.RandomGenerator;

/**
 * Sans-I/O PCP client (RFC 6887) for UDP MAP mappings of this host, one request at a time: ANNOUNCE as a probe, MAP
 * to create or renew (same nonce), MAP with lifetime 0 to delete. Tracks the server epoch and reports
 * {@link GatewayEvent.StateLost} when the server restarted (section 8.5) or sent an unsolicited ANNOUNCE that shows
 * it. Responses that do not match the request (nonce, protocol, internal port) are dropped and counted.
 * Not thread-safe.
 */
public final class PcpClient extends AbstractGatewayEngine {
    private enum Kind { NONE, PROBE, MAP, DELETE }

    private final InetAddress clientAddress;
    private final RandomGenerator random;
    private Kind kind = Kind.NONE;
    private MapRequest request;
    private Nonce nonce;
    private int nonceForPort;

    /**
     * @param server the gateway's PCP server (port 5351)
     * @param clientAddress this host's address as the gateway sees it (the local address of a socket connected to the
     *     gateway); a mismatch makes the server answer ADDRESS_MISMATCH
     */
    public PcpClient(InetSocketAddress server, InetAddress clientAddress, PortMapperOptions options,
            RandomGenerator random) {
        super(server, options);
        this.clientAddress = requireNonNull(clientAddress, "clientAddress");
        this.random = requireNonNull(random, "random");
    }

    /** Sends ANNOUNCE: answers {@link GatewayEvent.Answered} when a PCP server is there. */
    public void startProbe(long now) {
        requireIdle();
        kind = Kind.PROBE;
        send(PcpCodec.encode(new AnnounceRequest(clientAddress)), now);
    }

    /** Requests (or renews, with the same nonce) a UDP mapping of {@code internalPort}. */
    public void startMap(int internalPort, int suggestedExternalPort, long lifetimeSeconds, long now) {
        requireIdle();
        if (lifetimeSeconds == 0) {
            throw new IllegalArgumentException("lifetimeSeconds: 0 (expected: > 0; use startDelete)");
        }
        kind = Kind.MAP;
        request = new MapRequest(lifetimeSeconds, clientAddress, nonceFor(internalPort), PcpMessage.PROTOCOL_UDP,
                internalPort, suggestedExternalPort, PcpCodec.unspecifiedLike(clientAddress));
        send(PcpCodec.encode(request), now);
    }

    /** Deletes the mapping of {@code internalPort} made with this client (same nonce). */
    public void startDelete(int internalPort, long now) {
        requireIdle();
        kind = Kind.DELETE;
        request = new MapRequest(0, clientAddress, nonceFor(internalPort), PcpMessage.PROTOCOL_UDP, internalPort, 0,
                PcpCodec.unspecifiedLike(clientAddress));
        send(PcpCodec.encode(request), now);
    }

    private Nonce nonceFor(int internalPort) {
        if (nonce == null || nonceForPort != internalPort) {
            byte[] n = new byte[12];
            random.nextBytes(n);
            nonce = new Nonce(n);
            nonceForPort = internalPort;
        }
        return nonce;
    }

    private void requireIdle() {
        if (busy()) {
            throw new IllegalStateException("a " + kind + " request is still running");
        }
    }

    @Override
    public void handleDatagram(InetSocketAddress from, ByteBuffer datagram, long nowNanos) {
        if (!fromServer(from)) {
            return;
        }
        switch (PcpCodec.decodeResponse(datagram)) {
            case Decoded.Err<PcpMessage> err -> drop("decode_" + err.reason().name().toLowerCase(), err.detail());
            case Decoded.Ok<PcpMessage> ok -> handle(ok.message(), nowNanos);
        }
    }

    private void handle(PcpMessage m, long now) {
        switch (m) {
            case OtherVersion v -> {
                if (!busy()) {
                    drop("unexpected", "version " + v.version() + " while idle");
                    return;
                }
                finish();
                kind = Kind.NONE;
                emit(new GatewayEvent.NotSupported("server answered with version " + v.version() + " (result "
                        + v.rawResult() + ")"));
            }
            case AnnounceResponse a -> {
                if (kind == Kind.PROBE) {
                    finish();
                    kind = Kind.NONE;
                    if (a.result() != PcpResultCode.SUCCESS) {
                        emit(refused(a.result(), a.rawResult()));
                        return;
                    }
                    checkEpoch(a.epochSeconds(), now);
                    emit(new GatewayEvent.Answered(a.epochSeconds(), null));
                } else if (a.result() == PcpResultCode.SUCCESS) {
                    // unsolicited (section 14.1.3): act only when the epoch shows a restart
                    if (!checkEpoch(a.epochSeconds(), now)) {
                        drop("announce_no_restart", "epoch " + a.epochSeconds());
                    }
                } else {
                    drop("unexpected", "announce result " + a.rawResult());
                }
            }
            case MapResponse r -> handleMap(r, now);
            default -> drop("unexpected", m.getClass().getSimpleName());
        }
    }

    private void handleMap(MapResponse r, long now) {
        if ((kind != Kind.MAP && kind != Kind.DELETE) || !r.nonce().equals(request.nonce())
                || r.protocol() != request.protocol() || r.internalPort() != request.internalPort()) {
            drop("unmatched", "MAP response " + r.nonce() + " port " + r.internalPort());
            return;
        }
        Kind k = kind;
        finish();
        kind = Kind.NONE;
        if (r.result() != PcpResultCode.SUCCESS) {
            emit(refused(r.result(), r.rawResult()));
            return;
        }
        checkEpoch(r.epochSeconds(), now);
        if (k == Kind.DELETE) {
            emit(new GatewayEvent.Deleted());
        } else if (r.lifetimeSeconds() == 0 || r.assignedExternalPort() == 0) {
            emit(new GatewayEvent.Refused("ZERO_LIFETIME", 0, true));
        } else {
            emit(new GatewayEvent.Mapped(r.assignedExternalAddress(), r.assignedExternalPort(), r.lifetimeSeconds()));
        }
    }

    private boolean checkEpoch(long epochSeconds, long now) {
        if (epoch.update(epochSeconds, now)) {
            emit(new GatewayEvent.StateLost(epochSeconds));
            return true;
        }
        return false;
    }

    private static GatewayEvent.Refused refused(PcpResultCode code, int raw) {
        return new GatewayEvent.Refused(code.name(), raw, code.isTransient());
    }

    @Override
    void onTimedOut() {
        kind = Kind.NONE;
    }
}
