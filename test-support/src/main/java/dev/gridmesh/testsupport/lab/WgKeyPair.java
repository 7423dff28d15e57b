package dev.gridmesh.testsupport.lab;

import java.util.List;

/** A WireGuard key pair in base64 text form, made by {@code wg genkey} / {@code wg pubkey} (wireguard-tools). */
public record WgKeyPair(String privateKey, String publicKey) {
    /** Generates a fresh pair with wireguard-tools, the reference implementation. */
    public static WgKeyPair generate(Lab lab) {
        String priv = lab.execHost(List.of("wg", "genkey")).requireOk().stdout().strip();
        String pub = lab.execHost(List.of("bash", "-c", "wg pubkey <<< \"$0\"", priv)).requireOk().stdout().strip();
        return new WgKeyPair(priv, pub);
    }

    @Override
    public String toString() {
        return "WgKeyPair[public " + publicKey + "]"; // never the private half
    }
}
