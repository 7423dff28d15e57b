package dev.gridmesh.agent.outside;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import java.util.Objects;

/**
 * Splits the one UDP socket's traffic by its first bytes: WireGuard messages go to the data plane, anything else
 * (STUN, disco probes, later) to the other receiver.
 * <pre>
 *   0               1               2               3
 *   +---------------+---------------+---------------+---------------+
 *   | type 1..4     |  reserved: 0  |  reserved: 0  |  reserved: 0  |  WireGuard (whitepaper 5.4): to wireGuard
 *   +---------------+---------------+---------------+---------------+
 *   anything else (STUN: 0b00 + magic cookie 0x2112A442 at 4; disco: own magic)          to other
 * </pre>
 * Only adapts: no protocol logic here.
 */
public final class OutsideDemuxHandler extends ChannelInboundHandlerAdapter {
    private final DatagramReceiver wireGuard;
    private volatile DatagramReceiver other;

    public OutsideDemuxHandler(DatagramReceiver wireGuard, DatagramReceiver other) {
        this.wireGuard = Objects.requireNonNull(wireGuard, "wireGuard");
        this.other = Objects.requireNonNull(other, "other");
    }

    /** Replaces the receiver of non-WireGuard datagrams (the STUN/disco hook). */
    public void setOther(DatagramReceiver other) {
        this.other = Objects.requireNonNull(other, "other");
    }

    /** Whether the datagram starts like a WireGuard message (type 1..4, three zero bytes). */
    public static boolean isWireGuard(ByteBuf b) {
        if (b.readableBytes() < 4) {
            return false;
        }
        int head = b.getIntLE(b.readerIndex());
        return head >= 1 && head <= 4;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof DatagramPacket p)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        try {
            ByteBuf content = p.content();
            if (isWireGuard(content)) {
                wireGuard.onDatagram(p.sender(), content);
            } else {
                other.onDatagram(p.sender(), content);
            }
        } finally {
            p.release();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        wireGuard.onReadComplete();
        other.onReadComplete();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        wireGuard.onSendError(cause);
    }
}
