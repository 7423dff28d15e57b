package dev.gridmesh.benchmarks.wg;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The floor under {@link TransportBenchmark}: the JDK's own ChaCha20-Poly1305 ({@code Cipher}), one packet per
 * operation with a WireGuard-style nonce (4 zero bytes + 64-bit little-endian counter), no engine around it.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class JceChaChaBenchmark {
    @Param({"64", "1420"})
    public int size;

    private Cipher cipher;
    private SecretKeySpec key;
    private final byte[] nonce = new byte[12];
    private long counter;
    private ByteBuffer plain;
    private ByteBuffer out;
    private ByteBuffer sealed;
    private ByteBuffer opened;
    private byte[] sealedNonce;

    @Setup(Level.Trial)
    public void setUp() throws GeneralSecurityException {
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        key = new SecretKeySpec(k, "ChaCha20");
        cipher = Cipher.getInstance("ChaCha20-Poly1305");
        plain = ByteBuffer.allocateDirect(size);
        out = ByteBuffer.allocateDirect(size + 16);
        opened = ByteBuffer.allocateDirect(size + 16);
        sealed = ByteBuffer.allocateDirect(size + 16);
        sealedNonce = nonce(Long.MAX_VALUE);
        cipher.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(sealedNonce));
        cipher.doFinal(plain.duplicate(), sealed);
        sealed.flip();
    }

    private byte[] nonce(long c) {
        byte[] n = nonce;
        for (int i = 0; i < 8; i++) {
            n[4 + i] = (byte) (c >>> (8 * i));
        }
        return n.clone();
    }

    @Benchmark
    public int seal() throws GeneralSecurityException {
        cipher.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(nonce(counter++)));
        plain.rewind();
        out.clear();
        return cipher.doFinal(plain, out);
    }

    @Benchmark
    public int open() throws GeneralSecurityException {
        cipher.init(Cipher.DECRYPT_MODE, key, new IvParameterSpec(sealedNonce));
        sealed.rewind();
        opened.clear();
        return cipher.doFinal(sealed, opened);
    }
}
