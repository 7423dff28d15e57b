package dev.gridmesh.agent.mesh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.agent.control.ControlConfig;
import dev.gridmesh.agent.control.RelayTrust;
import dev.gridmesh.agent.dataplane.DataPlaneOptions;
import dev.gridmesh.agent.tun.FakeTun;
import dev.gridmesh.protocol.relay.ControlMessage;
import dev.gridmesh.relay.server.RelayConfig;
import dev.gridmesh.relay.server.RelayServer;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --ca FILE}: a relay with a CA-signed certificate is trusted through the CA and its name (IP SAN) checked. */
class CaTrustTest {
    @TempDir Path tmp;

    static KeyPair ec() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        return g.generateKeyPair();
    }

    static X509Certificate cert(X500Name subject, KeyPair subjectKeys, X500Name issuer, KeyPair issuerKeys, boolean ca,
            String ipSan) throws Exception {
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minusSeconds(3600)), Date.from(now.plusSeconds(86400)), subject, subjectKeys.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        if (ipSan != null) {
            b.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(new GeneralName(GeneralName.iPAddress, ipSan)));
        }
        return new JcaX509CertificateConverter().getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
    }

    static void pem(Path file, Object... objects) throws Exception {
        StringWriter sw = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
            for (Object o : objects) {
                w.writeObject(o);
            }
        }
        Files.writeString(file, sw.toString());
    }

    @Test
    void aCaSignedRelayIsTrustedThroughItsCaAndAnotherCaIsNot() throws Exception {
        KeyPair caKeys = ec();
        X500Name caName = new X500Name("CN=lab ca");
        X509Certificate ca = cert(caName, caKeys, caName, caKeys, true, null);
        KeyPair relayKeys = ec();
        X509Certificate leaf = cert(new X500Name("CN=relay"), relayKeys, caName, caKeys, false, "127.0.0.1");
        pem(tmp.resolve("ca.pem"), ca);
        pem(tmp.resolve("relay.pem"), leaf, ca);
        pem(tmp.resolve("relay.key"), new JcaPKCS8Generator(relayKeys.getPrivate(), null).generate());
        KeyPair otherKeys = ec();
        pem(tmp.resolve("other-ca.pem"), cert(new X500Name("CN=other"), otherKeys, new X500Name("CN=other"), otherKeys,
                true, null));

        InetAddress lo = InetAddress.getByName("127.0.0.1");
        RelayConfig rc = RelayConfig.defaults(tmp.resolve("relay")).withListen(new InetSocketAddress(lo, 0), null)
                .withCertificate(tmp.resolve("relay.pem"), tmp.resolve("relay.key"));
        try (RelayServer r = RelayServer.start(rc, Clock.systemUTC())) {
            String token = r.admin().createToken(true, Duration.ofHours(1), Set.of()).token();
            try (MeshAgent a = MeshAgent.start(config(tmp.resolve("a"), r, new RelayTrust.CaFile(tmp.resolve("ca.pem")),
                    token))) {
                ControlMessage.RegisterOk ok = a.firstRegistration().get(10, TimeUnit.SECONDS);
                assertThat(ok.nodeName()).isEqualTo("ca-test");
            }
            try (MeshAgent b = MeshAgent.start(config(tmp.resolve("b"), r,
                    new RelayTrust.CaFile(tmp.resolve("other-ca.pem")), token))) {
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (b.control().connects() < 2 && System.nanoTime() < end) {
                    Thread.sleep(20); // bounded poll until at least one attempt failed
                }
                assertThat(b.control().lastError()).containsIgnoringCase("certification path");
                assertThat(b.firstRegistration()).isNotDone();
            }
        }
    }

    static AgentConfig config(Path dir, RelayServer r, RelayTrust trust, String token) {
        ControlConfig c = ControlConfig.of("127.0.0.1", r.tcpAddress().getPort(), trust, "ca-test")
                .withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(3), Duration.ofSeconds(5), Duration.ofMillis(50));
        return new AgentConfig(dir, c, token, "fake", 0, DataPlaneOptions.withTun(FakeTun::new));
    }
}
