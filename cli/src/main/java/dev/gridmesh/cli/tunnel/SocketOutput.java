package dev.gridmesh.cli.tunnel;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;

/**
 * A socket's output stream as a pump's destination, whose {@code close()} runs {@code onClose} instead of closing
 * the socket: e.g. {@code s::shutdownOutput}, the exact half-close toward a local client on the remote's EOF.
 */
final class SocketOutput extends OutputStream {
    /** What {@code close()} does. */
    @FunctionalInterface
    interface OnClose {
        void run() throws IOException;
    }

    private final OutputStream out;
    private final OnClose onClose;

    SocketOutput(Socket s, OnClose onClose) throws IOException {
        this.out = s.getOutputStream();
        this.onClose = onClose;
    }

    @Override
    public void write(int b) throws IOException {
        out.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
    }

    @Override
    public void flush() throws IOException {
        out.flush();
    }

    @Override
    public void close() throws IOException {
        onClose.run();
    }
}
