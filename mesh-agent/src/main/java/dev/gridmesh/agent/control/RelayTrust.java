package dev.gridmesh.agent.control;

import dev.gridmesh.protocol.netty.TlsProvider;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;
import java.net.Socket;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * How the agent decides that it talks to its relay: either a pin, {@code sha256:} and the lower-case hex SHA-256 of
 * the leaf certificate's DER encoding (exactly what {@code gridmesh relay} prints and what
 * {@code RelayCertificate.pin} computes; same as {@code openssl x509 -outform DER | sha256sum}), in which case
 * nothing else is trusted (no CA, no name check: the pin is the identity); or the CA certificates of a PEM file, with
 * the usual chain and host name checks.
 */
public sealed interface RelayTrust {
    Pattern PIN = Pattern.compile("sha256:[0-9a-f]{64}");

    /** A TLS 1.3 client context for this trust, with the process's TLS provider ({@link TlsProvider#preferred()}). */
    default SslContext clientContext() throws IOException {
        return clientContext(TlsProvider.preferred());
    }

    /** A TLS 1.3 client context for this trust with {@code provider} (BoringSSL or the JDK's; same checks). */
    SslContext clientContext(SslProvider provider) throws IOException;

    /** Whether the TLS engine must check the server's host name (CA trust only). */
    boolean verifyHostname();

    /** Trust exactly the certificate with this pin. */
    record Pinned(String pin) implements RelayTrust {
        public Pinned {
            Objects.requireNonNull(pin, "pin");
            pin = pin.strip().toLowerCase(Locale.ROOT);
            if (!PIN.matcher(pin).matches()) {
                throw new IllegalArgumentException("pin: " + pin + " (expected: sha256: followed by 64 hex digits, as"
                        + " `gridmesh relay` prints it)");
            }
        }

        @Override
        public SslContext clientContext(SslProvider provider) throws IOException {
            return TlsProvider.tls13(SslContextBuilder.forClient(), provider)
                    .endpointIdentificationAlgorithm(null) // the pin is the identity: no name check
                    .trustManager(new PinTrustManager(pin)).build();
        }

        @Override
        public boolean verifyHostname() {
            return false;
        }
    }

    /** Trust the CA certificates in a PEM file (the relay runs with a CA-signed certificate). */
    record CaFile(Path file) implements RelayTrust {
        public CaFile {
            Objects.requireNonNull(file, "file");
        }

        @Override
        public SslContext clientContext(SslProvider provider) throws IOException {
            List<X509Certificate> cas = new ArrayList<>();
            try (InputStream in = Files.newInputStream(file)) {
                for (var c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    cas.add((X509Certificate) c);
                }
            } catch (CertificateException e) {
                throw new IOException(file + ": not a PEM certificate file: " + e.getMessage(), e);
            }
            if (cas.isEmpty()) {
                throw new IOException(file + ": no CERTIFICATE block (expected: PEM CA certificates)");
            }
            return TlsProvider.tls13(SslContextBuilder.forClient(), provider)
                    .endpointIdentificationAlgorithm("HTTPS")
                    .trustManager(cas.toArray(X509Certificate[]::new)).build();
        }

        @Override
        public boolean verifyHostname() {
            return true;
        }
    }

    /** {@code sha256:<hex>} of {@code cert}'s DER encoding. */
    static String pinOf(X509Certificate cert) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Accepts a server whose leaf certificate has the pin; refuses everything else (constant-time compare). */
    final class PinTrustManager extends X509ExtendedTrustManager {
        private final byte[] want;

        PinTrustManager(String pin) {
            this.want = pin.getBytes(StandardCharsets.US_ASCII);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("client certificates are not used");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            if (chain == null || chain.length == 0) {
                throw new CertificateException("relay sent no certificate");
            }
            String got = pinOf(chain[0]);
            if (!MessageDigest.isEqual(got.getBytes(StandardCharsets.US_ASCII), want)) {
                throw new PinMismatchException("relay certificate " + got + " does not match --pin "
                        + new String(want, StandardCharsets.US_ASCII));
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            checkServerTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            checkServerTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }

    /** The relay's certificate is not the pinned one. */
    final class PinMismatchException extends CertificateException {
        PinMismatchException(String message) {
            super(message);
        }
    }
}
