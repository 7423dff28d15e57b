package dev.gridmesh.relay.tls;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The relay's certificate chain and private key. Its pin is {@code sha256:} followed by the lower-case hex SHA-256
 * of the leaf certificate's DER encoding (64 hex digits), which is what agents pass as {@code --pin}; the same
 * value as {@code openssl x509 -in relay-cert.pem -outform DER | sha256sum}.
 */
public final class RelayCertificate {
    public static final String CERT_FILE = "relay-cert.pem";
    public static final String KEY_FILE = "relay-key.pem";

    private final List<X509Certificate> chain;
    private final PrivateKey key;

    private RelayCertificate(List<X509Certificate> chain, PrivateKey key) {
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("empty certificate chain");
        }
        this.chain = List.copyOf(chain);
        this.key = Objects.requireNonNull(key, "key");
    }

    public List<X509Certificate> chain() {
        return chain;
    }

    public X509Certificate leaf() {
        return chain.getFirst();
    }

    public PrivateKey key() {
        return key;
    }

    /** {@code sha256:<64 lower-case hex digits>} of the leaf's DER encoding. */
    public String pin() {
        return pin(leaf());
    }

    public static String pin(X509Certificate cert) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The self-signed identity kept in {@code stateDir} ({@link #CERT_FILE}, {@link #KEY_FILE} mode 0600),
     * made on first call: EC P-256, ECDSA-SHA256, CN=gridmesh-relay, valid 10 years from {@code now}.
     */
    public static RelayCertificate loadOrCreate(Path stateDir, Instant now, SecureRandom random) throws IOException {
        Path cert = stateDir.resolve(CERT_FILE);
        Path key = stateDir.resolve(KEY_FILE);
        if (Files.exists(cert) || Files.exists(key)) {
            return load(cert, key);
        }
        Files.createDirectories(stateDir);
        RelayCertificate made = selfSigned(now, random);
        writePrivate(key, pem(new JcaPKCS8Generator(made.key, null).generate()));
        Files.writeString(cert, pem(made.leaf()), StandardCharsets.US_ASCII, StandardOpenOption.CREATE_NEW);
        return made;
    }

    /** A new self-signed identity, not written anywhere. */
    public static RelayCertificate selfSigned(Instant now, SecureRandom random) throws IOException {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), random);
            KeyPair kp = g.generateKeyPair();
            X500Name name = new X500Name("CN=gridmesh-relay");
            byte[] serial = new byte[16];
            random.nextBytes(serial);
            JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, new BigInteger(1, serial),
                    Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(3650))), name, kp.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            b.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(new GeneralName(GeneralName.dNSName, "gridmesh-relay")));
            X509CertificateHolder h = b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate()));
            X509Certificate c = new JcaX509CertificateConverter().getCertificate(h);
            return new RelayCertificate(List.of(c), kp.getPrivate());
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IOException("make self-signed certificate: " + e.getMessage(), e);
        }
    }

    /** A chain (leaf first) and private key from PEM files, e.g. a CA-signed certificate given with --cert/--key. */
    public static RelayCertificate load(Path certPem, Path keyPem) throws IOException {
        List<X509Certificate> chain = new ArrayList<>();
        try (Reader r = Files.newBufferedReader(certPem, StandardCharsets.US_ASCII); PEMParser p = new PEMParser(r)) {
            JcaX509CertificateConverter conv = new JcaX509CertificateConverter();
            for (Object o; (o = p.readObject()) != null; ) {
                if (o instanceof X509CertificateHolder h) {
                    chain.add(conv.getCertificate(h));
                }
            }
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IOException(certPem + ": not a PEM certificate: " + e.getMessage(), e);
        }
        if (chain.isEmpty()) {
            throw new IOException(certPem + ": no CERTIFICATE block (expected: PEM certificate chain, leaf first)");
        }
        PrivateKey key;
        try (Reader r = Files.newBufferedReader(keyPem, StandardCharsets.US_ASCII); PEMParser p = new PEMParser(r)) {
            Object o = p.readObject();
            JcaPEMKeyConverter conv = new JcaPEMKeyConverter();
            key = switch (o) {
                case PEMKeyPair kp -> conv.getPrivateKey(kp.getPrivateKeyInfo());
                case PrivateKeyInfo pki -> conv.getPrivateKey(pki);
                case null, default -> throw new IOException(keyPem + ": no unencrypted private key (expected: PEM PRIVATE KEY)");
            };
        } catch (RuntimeException e) {
            throw new IOException(keyPem + ": not a PEM private key: " + e.getMessage(), e);
        }
        return new RelayCertificate(chain, key);
    }

    private static void writePrivate(Path file, String text) throws IOException {
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (FileAlreadyExistsException e) {
            throw e;
        } catch (UnsupportedOperationException e) {
            Files.createFile(file);
        }
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING)) {
            w.write(text);
        }
    }

    private static String pem(Object o) throws IOException {
        StringWriter sw = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
            w.writeObject(o);
        }
        return sw.toString();
    }

    /** Whether {@code pin} ({@code sha256:HEX}) matches {@code cert}; for clients and tests. */
    public static boolean matches(String pin, X509Certificate cert) throws CertificateEncodingException {
        return MessageDigest.isEqual(pin(cert).getBytes(StandardCharsets.US_ASCII),
                pin.strip().toLowerCase(java.util.Locale.ROOT).getBytes(StandardCharsets.US_ASCII));
    }
}
