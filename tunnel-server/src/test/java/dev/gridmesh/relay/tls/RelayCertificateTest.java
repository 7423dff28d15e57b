package dev.gridmesh.relay.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.time.Instant;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RelayCertificateTest {
    @TempDir Path dir;

    @Test
    void madeOnceKeptAndPinnedByDerSha256() throws Exception {
        RelayCertificate first = RelayCertificate.loadOrCreate(dir, Instant.parse("2026-11-28T00:00:00Z"), new SecureRandom());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(RelayCertificate.KEY_FILE))))
                .isEqualTo("rw-------");
        assertThat(Files.readString(dir.resolve(RelayCertificate.KEY_FILE))).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(first.leaf().getPublicKey()).isInstanceOf(ECPublicKey.class);
        assertThat(((ECPublicKey) first.leaf().getPublicKey()).getParams().getCurve().getField().getFieldSize()).isEqualTo(256);
        assertThat(first.leaf().getSigAlgName()).isEqualTo("SHA256withECDSA");
        String pin = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(first.leaf().getEncoded()));
        assertThat(first.pin()).isEqualTo(pin);
        assertThat(RelayCertificate.matches(pin.toUpperCase().replace("SHA256", "sha256"), first.leaf())).isTrue();

        RelayCertificate again = RelayCertificate.loadOrCreate(dir, Instant.now(), new SecureRandom());
        assertThat(again.pin()).isEqualTo(pin);
        assertThat(again.key().getEncoded()).isEqualTo(first.key().getEncoded());
    }

    @Test
    void badFilesNameTheFile() throws Exception {
        Files.writeString(dir.resolve("c.pem"), "not pem");
        Files.writeString(dir.resolve("k.pem"), "not pem");
        assertThatThrownBy(() -> RelayCertificate.load(dir.resolve("c.pem"), dir.resolve("k.pem")))
                .isInstanceOf(IOException.class).hasMessageContaining("c.pem");
    }
}
