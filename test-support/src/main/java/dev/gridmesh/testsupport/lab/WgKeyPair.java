package dev.gridmesh.testsupport.lab;

import java.util.List;

/** A WireGuard key pair in base64 text form, made by {@code wg genkey} / {@code wg pubkey} (wireguard-tools). */
public record WgKeyPair(String privateKey, String publicKey) {
    /** Generates a fresh pair with wireguard-tools, the reference implementation. */
    public static WgKeyPair generate(Lab lab) {
        // one command, output kept out of commands.log: the private half never reaches a log line
        String[] lines = lab.execHostSecretOutput(List.of("bash", "-c", "k=$(wg genkey) && echo \"$k\" && wg pubkey <<< \"$k\""))
                .requireOk().stdout().strip().split("\n");
        if (lines.length != 2) {
            throw new LabException("wg genkey | wg pubkey printed " + lines.length + " lines (expected: 2)");
        }
        return new WgKeyPair(lines[0].strip(), lines[1].strip());
    }

    @Override
    public String toString() {
        return "WgKeyPair[public " + publicKey + "]"; // never the private half
    }
}
