package dev.gridmesh.cli.keys;

import dev.gridmesh.cli.CliException;
import dev.gridmesh.cli.GridmeshCommand;
import dev.gridmesh.crypto.NodePrivateKey;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code gridmesh pubkey}: reads a private key on stdin and prints its public key, as {@code wg pubkey} does:
 * exactly 44 base64 characters at the start of the input, then nothing but whitespace.
 */
@Command(name = "pubkey", mixinStandardHelpOptions = true,
        description = {"Read a private key on stdin, print its public key (like `wg pubkey`).",
                "Typical use: gridmesh keygen | tee private.key | gridmesh pubkey > public.key"})
public final class PubkeyCommand implements Callable<Integer> {
    static final int KEY_CHARS = 44;
    private static final String EXPECTED =
            " (expected: 44 base64 characters as printed by `gridmesh keygen` or `wg genkey`)";

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws CliException {
        NodePrivateKey key = read(GridmeshCommand.root(spec).stdin());
        spec.commandLine().getOut().println(key.publicKey().toBase64());
        return 0;
    }

    static NodePrivateKey read(InputStream in) throws CliException {
        byte[] head;
        try {
            head = in.readNBytes(KEY_CHARS);
            int c;
            while ((c = in.read()) != -1) {
                if (!isSpace(c)) {
                    throw new CliException("pubkey", "trailing characters found after the key" + EXPECTED);
                }
            }
        } catch (IOException e) {
            throw new CliException("pubkey", "cannot read standard input: " + e.getMessage(), e);
        }
        if (head.length < KEY_CHARS) {
            throw new CliException("pubkey", head.length == 0
                    ? "no key on standard input" + EXPECTED
                    : "key is not the correct length or format" + EXPECTED);
        }
        try {
            return NodePrivateKey.fromBase64(new String(head, StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException e) {
            throw new CliException("pubkey", "key is not the correct length or format" + EXPECTED);
        }
    }

    private static boolean isSpace(int c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0x0b || c == '\f';
    }
}
