package dev.gridmesh.testsupport.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Traffic between lab namespaces: hashed bulk TCP transfers and timestamped pings, with their results parsed. */
public final class Traffic {
    /** TCP port of the transfer receiver; fixed because each lab namespace is private (no other listener exists). */
    public static final int TRANSFER_PORT = 5201;
    private static final Pattern REPLY = Pattern.compile("^\\[(\\d+\\.\\d+)] \\d+ bytes from .*icmp_seq=(\\d+)");
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

    private Traffic() {}

    /** The outcome of {@link #transfer}: both ends' SHA-256 of the stream, size and wall time. */
    public record Transfer(String sentSha256, String receivedSha256, long bytes, Duration elapsed) {
        public boolean intact() {
            return sentSha256.equals(receivedSha256);
        }

        public double mbitPerSecond() {
            return bytes * 8.0 / 1e6 / Math.max(1e-9, elapsed.toNanos() / 1e9);
        }
    }

    /**
     * A transfer in progress: random bytes from {@code /dev/urandom} streamed over TCP, hashed as they leave the
     * sender and as they arrive at the receiver.
     */
    public static final class RunningTransfer {
        private final Lab lab;
        private final String name;
        private final LabProcess receiver;
        private final LabProcess sender;
        private final Path sentHash;
        private final Path receivedHash;
        private final long bytes;
        private final long startNanos;

        private RunningTransfer(Lab lab, String name, LabProcess receiver, LabProcess sender, Path sentHash,
                Path receivedHash, long bytes, long startNanos) {
            this.lab = lab;
            this.name = name;
            this.receiver = receiver;
            this.sender = sender;
            this.sentHash = sentHash;
            this.receivedHash = receivedHash;
            this.bytes = bytes;
            this.startNanos = startNanos;
        }

        /** Waits (bounded) for both ends to finish and both hashes to be written; fails on a non-zero exit. */
        public Transfer await(Duration timeout) {
            int senderExit = sender.waitFor(timeout);
            long elapsed = System.nanoTime() - startNanos;
            int receiverExit = receiver.waitFor(Duration.ofSeconds(30));
            if (senderExit != 0 || receiverExit != 0) {
                throw new AssertionError(name + ": sender exit " + senderExit + ", receiver exit " + receiverExit
                        + "\nsender stderr: " + sender.stderr() + "\nreceiver stderr: " + receiver.stderr());
            }
            lab.await(name + " hashes written", Duration.ofSeconds(30),
                    () -> hashIn(sentHash) != null && hashIn(receivedHash) != null);
            Transfer t = new Transfer(hashIn(sentHash), hashIn(receivedHash), bytes, Duration.ofNanos(elapsed));
            lab.note(name + ": " + bytes + " bytes in " + t.elapsed().toMillis() + " ms ("
                    + String.format("%.0f", t.mbitPerSecond()) + " Mbit/s), sent " + t.sentSha256()
                    + ", received " + t.receivedSha256());
            return t;
        }

        public boolean isRunning() {
            return sender.isAlive();
        }
    }

    /** Starts a transfer of {@code bytes} random bytes from {@code from} to {@code toIp} (an address of {@code to}). */
    public static RunningTransfer startTransfer(String name, Netns from, Netns to, String toIp, long bytes) {
        Lab lab = from.lab();
        Path sent = lab.file(name + ".sent.sha256");
        Path received = lab.file(name + ".received.sha256");
        try {
            Files.deleteIfExists(sent);
            Files.deleteIfExists(received);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        LabProcess receiver = to.spawnSh(name + "-recv", "socat -u TCP-LISTEN:" + TRANSFER_PORT + ",bind=" + toIp
                + ",reuseaddr STDOUT | sha256sum | cut -c1-64 > " + received);
        lab.await(name + " receiver listening on " + toIp + ":" + TRANSFER_PORT, Duration.ofSeconds(10),
                () -> to.exec("ss", "-Hltn", "sport = :" + TRANSFER_PORT).stdout().contains(":" + TRANSFER_PORT));
        long start = System.nanoTime();
        LabProcess sender = from.spawnSh(name + "-send", "head -c " + bytes + " /dev/urandom"
                + " | tee >(sha256sum | cut -c1-64 > " + sent + ")"
                + " | socat -u STDIN TCP:" + toIp + ":" + TRANSFER_PORT + ",connect-timeout=10");
        return new RunningTransfer(lab, name, receiver, sender, sent, received, bytes, start);
    }

    /** Runs a transfer to completion: see {@link #startTransfer}. */
    public static Transfer transfer(String name, Netns from, Netns to, String toIp, long bytes, Duration timeout) {
        return startTransfer(name, from, to, toIp, bytes).await(timeout);
    }

    private static String hashIn(Path p) {
        try {
            if (!Files.exists(p)) {
                return null;
            }
            String s = Files.readString(p).strip();
            return HEX64.matcher(s).matches() ? s : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** One echo reply: when it arrived (epoch seconds, from {@code ping -D}) and its sequence number. */
    public record Reply(double epochSeconds, int seq) {}

    /** A {@code ping -D -i INTERVAL -c COUNT} running in a namespace; replies are parsed from its live output. */
    public static final class Pinger {
        private final LabProcess process;
        private final int count;

        private Pinger(LabProcess process, int count) {
            this.process = process;
            this.count = count;
        }

        public List<Reply> replies() {
            List<Reply> out = new ArrayList<>();
            for (String line : process.stdout().split("\n")) {
                Matcher m = REPLY.matcher(line);
                if (m.find()) {
                    out.add(new Reply(Double.parseDouble(m.group(1)), Integer.parseInt(m.group(2))));
                }
            }
            return out;
        }

        /** True once a reply arrived after {@code epochMillis}. */
        public boolean answeredAfter(long epochMillis) {
            return replies().stream().anyMatch(r -> r.epochSeconds() * 1000 > epochMillis);
        }

        public int sent() {
            return count;
        }

        public LabProcess process() {
            return process;
        }

        public boolean isRunning() {
            return process.isAlive();
        }

        /** Waits (bounded) for the last echo request to be answered or time out. */
        public List<Reply> await(Duration timeout) {
            process.waitFor(timeout);
            return replies();
        }

        public void stop() {
            process.stop();
        }
    }

    /**
     * The longest run of consecutive unanswered sequence numbers among {@code 1..sent} (ping numbers from 1): how long
     * the path was dark, in ping intervals.
     */
    public static int longestGap(List<Reply> replies, int sent) {
        boolean[] answered = new boolean[sent + 2];
        for (Reply r : replies) {
            if (r.seq() >= 1 && r.seq() <= sent) {
                answered[r.seq()] = true;
            }
        }
        int longest = 0;
        int run = 0;
        for (int seq = 1; seq <= sent; seq++) {
            run = answered[seq] ? 0 : run + 1;
            longest = Math.max(longest, run);
        }
        return longest;
    }

    /** Starts {@code count} pings at {@code interval} from {@code from} to {@code address}. */
    public static Pinger startPing(String name, Netns from, String address, int count, Duration interval) {
        String secs = String.format(java.util.Locale.ROOT, "%.3f", interval.toMillis() / 1000.0);
        LabProcess p = from.spawn(name, List.of("ping", "-n", "-D", "-W", "1", "-i", secs, "-c",
                Integer.toString(count), address));
        return new Pinger(p, count);
    }
}
