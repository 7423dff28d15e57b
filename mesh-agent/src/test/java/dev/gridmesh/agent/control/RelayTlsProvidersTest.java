package dev.gridmesh.agent.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.protocol.netty.TlsProvider;
import dev.gridmesh.relay.tls.RelayCertificate;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * The relay connection's TLS with either provider at either end (BoringSSL through netty-tcnative, the JDK's
 * SSLEngine), over two EmbeddedChannels: TLS 1.3 with AES-128-GCM, the pin accepted or refused the same way
 * (a {@link RelayTrust.PinMismatchException} in the cause chain, which ControlClient turns into a fatal error).
 */
class RelayTlsProvidersTest {
    static RelayCertificate cert;

    @BeforeAll
    static void certificate() throws Exception {
        cert = RelayCertificate.selfSigned(Instant.now(), new SecureRandom());
    }

    @Test
    void boringSslIsWhatThisPlatformUses() {
        // the native library ships in netty-tcnative-boringssl-static's linux-x86_64 jar: on this platform it loads
        if (System.getProperty("os.name").startsWith("Linux") && System.getProperty("os.arch").equals("amd64")) {
            assertThat(OpenSsl.isAvailable()).as(String.valueOf(OpenSsl.unavailabilityCause())).isTrue();
            assertThat(TlsProvider.preferred()).isEqualTo(SslProvider.OPENSSL);
        }
    }

    @ParameterizedTest
    @CsvSource({"OPENSSL, OPENSSL", "OPENSSL, JDK", "JDK, OPENSSL", "JDK, JDK"})
    void pinnedRelayHandshakesTls13AndCarriesBytes(SslProvider client, SslProvider server) throws Exception {
        Pair p = new Pair(new RelayTrust.Pinned(cert.pin()).clientContext(client), serverContext(server));
        try {
            p.shuttle();
            assertThat(p.clientTls().handshakeFuture().isSuccess()).as(String.valueOf(p.clientTls().handshakeFuture().cause())).isTrue();
            assertThat(p.serverTls().handshakeFuture().isSuccess()).isTrue();
            assertThat(p.clientTls().engine().getSession().getProtocol()).isEqualTo("TLSv1.3");
            assertThat(p.clientTls().engine().getSession().getCipherSuite()).isEqualTo("TLS_AES_128_GCM_SHA256");

            p.client.writeOutbound(Unpooled.copiedBuffer("hello relay", StandardCharsets.US_ASCII));
            p.shuttle();
            ByteBuf got = p.server.readInbound();
            assertThat(got.toString(StandardCharsets.US_ASCII)).isEqualTo("hello relay");
            got.release();
        } finally {
            p.close();
        }
    }

    @ParameterizedTest
    @CsvSource({"OPENSSL, OPENSSL", "OPENSSL, JDK", "JDK, OPENSSL", "JDK, JDK"})
    void aWrongPinFailsTheHandshakeWithPinMismatch(SslProvider client, SslProvider server) throws Exception {
        String wrong = "sha256:" + "0".repeat(64);
        Pair p = new Pair(new RelayTrust.Pinned(wrong).clientContext(client), serverContext(server));
        try {
            p.shuttle();
            assertThat(p.clientTls().handshakeFuture().isDone()).isTrue();
            Throwable cause = p.clientTls().handshakeFuture().cause();
            assertThat(cause).isNotNull();
            boolean mismatch = false;
            for (Throwable c = cause; c != null && !mismatch; c = c.getCause() == c ? null : c.getCause()) {
                mismatch = c instanceof RelayTrust.PinMismatchException;
            }
            assertThat(mismatch).as("PinMismatchException in the cause chain of %s", cause).isTrue();
        } finally {
            p.close();
        }
    }

    static SslContext serverContext(SslProvider provider) throws Exception {
        return TlsProvider.tls13(SslContextBuilder.forServer(cert.key(), cert.chain()), provider).build();
    }

    /** A client and a server channel whose outbound bytes are handed to each other by {@link #shuttle()}. */
    record Pair(SslHandler clientTls, SslHandler serverTls, EmbeddedChannel client, EmbeddedChannel server) {
        Pair(SslContext clientCtx, SslContext serverCtx) {
            this(clientCtx.newHandler(ByteBufAllocator.DEFAULT, "relay", 443), serverCtx.newHandler(ByteBufAllocator.DEFAULT));
        }

        private Pair(SslHandler clientTls, SslHandler serverTls) {
            this(clientTls, serverTls, new EmbeddedChannel(clientTls), new EmbeddedChannel(serverTls));
        }

        /** Moves bytes both ways until neither side has anything to send (bounded). */
        void shuttle() {
            for (int i = 0; i < 50; i++) {
                boolean moved = move(client, server) | move(server, client);
                if (!moved) {
                    return;
                }
            }
        }

        private static boolean move(EmbeddedChannel from, EmbeddedChannel to) {
            boolean any = false;
            ByteBuf b;
            while ((b = from.readOutbound()) != null) {
                any = true;
                if (to.isOpen()) {
                    try {
                        to.writeInbound(b);
                    } catch (io.netty.handler.codec.DecoderException e) {
                        // a failed handshake: SslHandler fails its handshake future too, which the tests check
                    }
                } else {
                    b.release();
                }
            }
            return any;
        }

        void close() {
            client.finishAndReleaseAll();
            server.finishAndReleaseAll();
        }
    }
}
