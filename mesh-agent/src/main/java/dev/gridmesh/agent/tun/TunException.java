package dev.gridmesh.agent.tun;

import java.io.IOException;

/** Opening or configuring a TUN device failed; the message names the device and, where it helps, the fix. */
public final class TunException extends IOException {
    public TunException(String message) {
        super(message);
    }
}
