package dev.gridmesh.nat.portmap;

import dev.gridmesh.nat.portmap.PmpMessage.ErrorResponse;
import dev.gridmesh.nat.portmap.PmpMessage.ExternalAddressRequest;
import dev.gridmesh.nat.portmap.PmpMessage.ExternalAddressResponse;
import dev.gridmesh.nat.portmap.PmpMessage.MapRequest;
import dev.gridmesh.nat.portmap.PmpMessage.MapResponse;
import dev.gridmesh.nat.portmap.PmpMessage.Transport;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * Sans-I/O NAT-PMP client (RFC 6886) for UDP mappings: a probe asks for the external address; a map first learns the
 * external address (once) and then maps; a delete sends lifetime 0. Tracks the epoch (section 3.6) and reports
 * {@link GatewayEvent.StateLost} when the gateway restarted. Not thread-safe.
 */
public final class PmpClient extends AbstractGatewayEngine {
    private enum Kind { NONE, PROBE, ADDRESS_THEN_MAP, MAP, DELETE }

    private Kind kind = Kind.NONE;
    private Inet4Address externalAddress;
    private int internalPort;
    private int suggestedExternalPort;
    private long lifetimeSeconds;

    public PmpClient(InetSocketAddress server, PortMapperOptions options) {
        super(server, options);
    }

    /** The external address learnt from the gateway, or null. */
    public Inet4Address externalAddress() {
        return externalAddress;
    }

    public void startProbe(long now) {
        requireIdle();
        kind = Kind.PROBE;
        send(PmpCodec.encode(new ExternalAddressRequest()), now);
    }

    public void startMap(int internalPort, int suggestedExternalPort, long lifetimeSeconds, long now) {
        requireIdle();
        if (lifetimeSeconds == 0) {
            throw new IllegalArgumentException("lifetimeSeconds: 0 (expected: > 0; use startDelete)");
        }
        this.internalPort = internalPort;
        this.suggestedExternalPort = suggestedExternalPort;
        this.lifetimeSeconds = lifetimeSeconds;
        if (externalAddress == null) {
            kind = Kind.ADDRESS_THEN_MAP;
            send(PmpCodec.encode(new ExternalAddressRequest()), now);
        } else {
            sendMap(now);
        }
    }

    private void sendMap(long now) {
        kind = Kind.MAP;
        send(PmpCodec.encode(new MapRequest(Transport.UDP, internalPort, suggestedExternalPort, lifetimeSeconds)), now);
    }

    public void startDelete(int internalPort, long now) {
        requireIdle();
        this.internalPort = internalPort;
        kind = Kind.DELETE;
        send(PmpCodec.encode(new MapRequest(Transport.UDP, internalPort, 0, 0)), now);
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
        switch (PmpCodec.decodeResponse(datagram)) {
            case Decoded.Err<PmpMessage> err -> drop("decode_" + err.reason().name().toLowerCase(), err.detail());
            case Decoded.Ok<PmpMessage> ok -> handle(ok.message(), nowNanos);
        }
    }

    private void handle(PmpMessage m, long now) {
        switch (m) {
            case ExternalAddressResponse r -> {
                if (kind != Kind.PROBE && kind != Kind.ADDRESS_THEN_MAP) {
                    drop("unmatched", "external address response while " + kind);
                    return;
                }
                Kind k = kind;
                finish();
                kind = Kind.NONE;
                checkEpoch(r.epochSeconds(), now);
                externalAddress = r.externalAddress();
                if (k == Kind.PROBE) {
                    emit(new GatewayEvent.Answered(r.epochSeconds(), r.externalAddress()));
                } else {
                    sendMap(now);
                }
            }
            case MapResponse r -> {
                if ((kind != Kind.MAP && kind != Kind.DELETE) || r.transport() != Transport.UDP
                        || r.internalPort() != internalPort) {
                    drop("unmatched", "map response for port " + r.internalPort() + " while " + kind);
                    return;
                }
                Kind k = kind;
                finish();
                kind = Kind.NONE;
                checkEpoch(r.epochSeconds(), now);
                if (k == Kind.DELETE) {
                    emit(new GatewayEvent.Deleted());
                } else if (r.lifetimeSeconds() == 0 || r.externalPort() == 0) {
                    emit(new GatewayEvent.Refused("ZERO_LIFETIME", 0, true));
                } else {
                    emit(new GatewayEvent.Mapped(externalAddress, r.externalPort(), r.lifetimeSeconds()));
                }
            }
            case ErrorResponse r -> {
                int expectedOp = switch (kind) {
                    case PROBE, ADDRESS_THEN_MAP -> 0;
                    case MAP, DELETE -> Transport.UDP.opcode;
                    case NONE -> -1;
                };
                if (r.opcode() != expectedOp) {
                    drop("unmatched", "error for opcode " + r.opcode() + " while " + kind);
                    return;
                }
                finish();
                kind = Kind.NONE;
                if (r.result() == PmpResultCode.UNSUPPORTED_VERSION || r.result() == PmpResultCode.UNSUPPORTED_OPCODE) {
                    emit(new GatewayEvent.NotSupported("NAT-PMP result " + r.result()));
                } else {
                    emit(new GatewayEvent.Refused(r.result().name(), r.rawResult(),
                            r.result() == PmpResultCode.NETWORK_FAILURE || r.result() == PmpResultCode.OUT_OF_RESOURCES));
                }
            }
            default -> drop("unexpected", m.getClass().getSimpleName());
        }
    }

    private void checkEpoch(long epochSeconds, long now) {
        if (epoch.update(epochSeconds, now)) {
            externalAddress = null;
            emit(new GatewayEvent.StateLost(epochSeconds));
        }
    }

    @Override
    void onTimedOut() {
        kind = Kind.NONE;
    }
}
