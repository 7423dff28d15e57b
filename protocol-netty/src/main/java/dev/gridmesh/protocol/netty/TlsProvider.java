package dev.gridmesh.protocol.netty;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS implementation of relay connections (agent and relay): BoringSSL through netty-tcnative when its native
 * library loads (it ships inside the netty-tcnative-boringssl-static jar, so the packaged runtime has it too), else the
 * JDK's SSLEngine, with one warning. Either way TLS 1.3 only, AES-128-GCM preferred: with AES-NI it is the cheapest
 * TLS 1.3 AEAD, and every relayed packet goes through three TLS passes (agent, relay in and out, agent). BoringSSL
 * orders the TLS 1.3 suites itself (AES-GCM first on hosts with AES hardware, ChaCha20-Poly1305 for peers without).
 *
 * <p>Measured (docs/benchmarks.md, relayed throughput): the JDK's AES-GCM and SSLEngine were 30-40 % of the relay's
 * CPU samples. {@code -Dgridmesh.tls.provider=jdk} forces the JDK provider for the whole process (diagnosis and
 * before/after measurements); it is read once. Certificate checks (the agent's pin trust manager) are the same
 * {@link javax.net.ssl.TrustManager} with either provider.
 */
public final class TlsProvider {
    private static final Logger log = LoggerFactory.getLogger(TlsProvider.class);
    /** System property: {@code jdk} forces the JDK provider, {@code openssl} (the default) uses BoringSSL if it loads. */
    public static final String PROPERTY = "gridmesh.tls.provider";
    public static final String TLS13 = "TLSv1.3";
    /** TLS 1.3 suites in order of preference (RFC 8446 section 9.1 names). */
    public static final List<String> TLS13_CIPHERS = List.of("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256");

    private static volatile SslProvider chosen;

    private TlsProvider() {
    }

    /** {@link SslProvider#OPENSSL} when netty-tcnative's BoringSSL is available (and not turned off), else JDK. */
    public static SslProvider preferred() {
        SslProvider p = chosen;
        if (p == null) {
            synchronized (TlsProvider.class) {
                p = chosen;
                if (p == null) {
                    p = choose(System.getProperty(PROPERTY, "openssl"));
                    chosen = p;
                }
            }
        }
        return p;
    }

    private static SslProvider choose(String wanted) {
        if (wanted.strip().toLowerCase(Locale.ROOT).equals("jdk")) {
            log.info("tls: JDK provider ({}=jdk)", PROPERTY);
            return SslProvider.JDK;
        }
        if (OpenSsl.isAvailable() && SslProvider.isTlsv13Supported(SslProvider.OPENSSL)) {
            log.debug("tls: {} (netty-tcnative)", OpenSsl.versionString());
            return SslProvider.OPENSSL;
        }
        Throwable why = OpenSsl.unavailabilityCause();
        log.warn("tls: native TLS (netty-tcnative BoringSSL) unavailable, using the JDK's (slower): {}",
                why == null ? "no TLS 1.3 support" : why.toString());
        return SslProvider.JDK;
    }

    /** {@code b} set to {@code provider}, TLS 1.3 only, {@link #TLS13_CIPHERS} (those the provider supports). */
    public static SslContextBuilder tls13(SslContextBuilder b, SslProvider provider) {
        Objects.requireNonNull(provider, "provider");
        return b.sslProvider(provider).protocols(TLS13).ciphers(TLS13_CIPHERS, SupportedCipherSuiteFilter.INSTANCE);
    }

    /** {@code b} set to the {@link #preferred()} provider, TLS 1.3 only. */
    public static SslContextBuilder tls13(SslContextBuilder b) {
        return tls13(b, preferred());
    }
}
