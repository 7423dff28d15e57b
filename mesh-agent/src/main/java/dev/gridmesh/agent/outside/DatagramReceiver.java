package dev.gridmesh.agent.outside;

import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;

/** Consumes datagrams read from the outside socket, on its event loop. */
public interface DatagramReceiver {
    /**
     * One datagram. {@code content} (readerIndex..writerIndex) is released by the caller after this returns:
     * retain it to keep it.
     */
    void onDatagram(InetSocketAddress sender, ByteBuf content);

    /** End of one read burst (after up to a recvmmsg batch or several): the moment to flush writes. */
    default void onReadComplete() {
    }

    /** A send on the socket failed (writes use the void promise, so failures arrive here). */
    default void onSendError(Throwable cause) {
    }
}
