package dev.gridmesh.agent.control;

import dev.gridmesh.protocol.relay.Frames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * The HTTP/1.1 phase on the agent side, inside TLS: {@link #request} is what the agent sends, this decoder reads the
 * response head (at most 8 KiB). On {@code 101} with {@code Upgrade: gridmesh-relay} it puts a {@link FrameDecoder}
 * in its place; bytes after the head (the relay's ServerHello often comes in the same TLS record) pass on to it.
 * Anything else raises {@link UpgradeRefusedException} with the status line.
 * <pre>
 *   GET /gridmesh/v1 HTTP/1.1            HTTP/1.1 101 Switching Protocols
 *   Host: HOST:PORT                      connection: upgrade
 *   Connection: Upgrade                  upgrade: gridmesh-relay
 *   Upgrade: gridmesh-relay
 * </pre>
 */
final class UpgradeDecoder extends ByteToMessageDecoder {
    static final int MAX_HEAD = 8192;
    private final int maxPayload;

    UpgradeDecoder(int maxPayload) {
        this.maxPayload = maxPayload;
    }

    static ByteBuf request(String hostHeader) {
        return Unpooled.wrappedBuffer(("GET " + Frames.UPGRADE_PATH + " HTTP/1.1\r\nHost: " + hostHeader
                + "\r\nConnection: Upgrade\r\nUpgrade: " + Frames.UPGRADE_TOKEN + "\r\nUser-Agent: gridmesh-agent\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int end = indexOfHeadEnd(in);
        if (end < 0) {
            if (in.readableBytes() > MAX_HEAD) {
                throw new UpgradeRefusedException("relay's HTTP response head is longer than " + MAX_HEAD + " bytes");
            }
            return;
        }
        String head = in.readCharSequence(end - in.readerIndex() + 4, StandardCharsets.US_ASCII).toString();
        String status = head.lines().findFirst().orElse("");
        if (!status.startsWith("HTTP/1.1 101")) {
            throw new UpgradeRefusedException("relay refused the upgrade: " + status.strip());
        }
        boolean token = head.lines().anyMatch(l -> {
            String s = l.toLowerCase(Locale.ROOT);
            return s.startsWith("upgrade:") && s.substring(8).strip().equals(Frames.UPGRADE_TOKEN);
        });
        if (!token) {
            throw new UpgradeRefusedException("relay answered 101 without Upgrade: " + Frames.UPGRADE_TOKEN);
        }
        ctx.pipeline().addAfter(ctx.name(), "frame-decoder", new FrameDecoder(maxPayload));
        ctx.fireUserEventTriggered(Upgraded.INSTANCE);
        ctx.pipeline().remove(this); // the rest of the cumulation goes to the frame decoder
    }

    private static int indexOfHeadEnd(ByteBuf in) {
        int from = in.readerIndex();
        int to = in.writerIndex() - 3;
        for (int i = from; i < to; i++) {
            if (in.getByte(i) == '\r' && in.getByte(i + 1) == '\n' && in.getByte(i + 2) == '\r' && in.getByte(i + 3) == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** Fired once the frame protocol starts. */
    enum Upgraded { INSTANCE }

    static final class UpgradeRefusedException extends DecoderException {
        UpgradeRefusedException(String message) {
            super(message);
        }
    }
}
