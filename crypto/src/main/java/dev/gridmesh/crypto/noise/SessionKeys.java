package dev.gridmesh.crypto.noise;

/**
 * The two transport keys derived at the end of a handshake (T_send, T_recv = KDF2(C, ε)), seen from one side.
 * Never printed.
 */
public record SessionKeys(byte[] sendKey, byte[] receiveKey, boolean initiator) {
    /** Overwrites both keys with zeros. */
    public void zero() {
        java.util.Arrays.fill(sendKey, (byte) 0);
        java.util.Arrays.fill(receiveKey, (byte) 0);
    }

    @Override
    public String toString() {
        return "SessionKeys[<redacted>, initiator=" + initiator + "]";
    }
}
