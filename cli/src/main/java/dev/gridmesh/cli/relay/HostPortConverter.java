package dev.gridmesh.cli.relay;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** {@code HOST:PORT}, {@code :PORT} (all addresses) or {@code [V6]:PORT}. */
final class HostPortConverter implements ITypeConverter<InetSocketAddress> {
    @Override
    public InetSocketAddress convert(String value) {
        String v = value.strip();
        int colon = v.lastIndexOf(':');
        if (colon < 0) {
            throw new TypeConversionException(value + " (expected: HOST:PORT or :PORT)");
        }
        String host = v.substring(0, colon);
        int port;
        try {
            port = Integer.parseInt(v.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new TypeConversionException(value + ": port is not a number (expected: HOST:PORT or :PORT)");
        }
        if (port < 0 || port > 65535) {
            throw new TypeConversionException(value + ": port " + port + " (expected: 0..65535)");
        }
        if (host.isEmpty()) {
            return new InetSocketAddress(port);
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw new TypeConversionException(value + ": unknown host " + host);
        }
    }
}
