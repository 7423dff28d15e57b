package dev.gridmesh.nat.portmap;

/** Argument checks shared by the message records (messages name the value and what was expected). */
final class PortMapChecks {
    private PortMapChecks() {}

    static void port(String name, int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(name + ": " + port + " (expected: 1..65535)");
        }
    }

    static void portOrZero(String name, int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(name + ": " + port + " (expected: 0..65535)");
        }
    }

    static void u32(String name, long value) {
        if (value < 0 || value > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: 0..4294967295)");
        }
    }
}
