package dev.gridmesh.protocol.wg;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.protocol.net.IpPrefix;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class AllowedIpsTest {
    @Test
    void longestPrefixWinsInBothFamilies() {
        AllowedIps<String> t = new AllowedIps<>();
        t.insert(IpPrefix.parse("100.64.0.0/10"), "wide");
        t.insert(IpPrefix.parse("100.64.1.0/24"), "net");
        t.insert(IpPrefix.parse("100.64.1.7/32"), "host");
        t.insert(IpPrefix.parse("fd00::/8"), "ula");
        t.insert(IpPrefix.parse("fd00:1::/32"), "site");
        t.insert(IpPrefix.parse("::/0"), "default6");
        assertThat(t.lookup(IpPrefix.parseAddress("100.64.1.7"))).isEqualTo("host");
        assertThat(t.lookup(IpPrefix.parseAddress("100.64.1.8"))).isEqualTo("net");
        assertThat(t.lookup(IpPrefix.parseAddress("100.100.0.1"))).isEqualTo("wide");
        assertThat(t.lookup(IpPrefix.parseAddress("100.128.0.1"))).isNull();
        assertThat(t.lookup(IpPrefix.parseAddress("fd00:1::5"))).isEqualTo("site");
        assertThat(t.lookup(IpPrefix.parseAddress("fd00:2::5"))).isEqualTo("ula");
        assertThat(t.lookup(IpPrefix.parseAddress("2001:db8::1"))).isEqualTo("default6");
        t.insert(IpPrefix.parse("100.64.1.0/24"), "moved");
        assertThat(t.lookup(IpPrefix.parseAddress("100.64.1.8"))).isEqualTo("moved");
    }

    @Test
    void defaultRouteV4() {
        AllowedIps<String> t = new AllowedIps<>();
        t.insert(IpPrefix.parse("0.0.0.0/0"), "all");
        assertThat(t.lookup(IpPrefix.parseAddress("198.18.3.4"))).isEqualTo("all");
        assertThat(t.lookup(IpPrefix.parseAddress("::1"))).isNull();
    }

    record Entry(IpPrefix prefix, int value) {
    }

    @Property(tries = 200)
    void matchesANaiveLongestPrefixScan(@ForAll("entries") List<Entry> entries, @ForAll("addresses") List<byte[]> probes)
            throws UnknownHostException {
        AllowedIps<Integer> t = new AllowedIps<>();
        for (Entry e : entries) {
            t.insert(e.prefix(), e.value());
        }
        for (byte[] a : probes) {
            Integer best = null;
            int bestBits = -1;
            for (Entry e : entries) {
                if (e.prefix().contains(InetAddress.getByAddress(a)) && e.prefix().bits() >= bestBits) {
                    best = e.value();
                    bestBits = e.prefix().bits();
                }
            }
            assertThat(t.lookup(a)).isEqualTo(best);
        }
    }

    @Provide
    Arbitrary<List<Entry>> entries() {
        Arbitrary<byte[]> addr = Arbitraries.integers().between(0, 255).map(i -> new byte[] {100, 64, (byte) (int) i, 1});
        return Combinators.combine(addr, Arbitraries.integers().between(8, 32), Arbitraries.integers().between(0, 5))
                .as((a, bits, v) -> new Entry(IpPrefix.of(inet(a), bits), v)).list().ofMaxSize(20)
                .map(AllowedIpsTest::lastWins);
    }

    /** Identical prefixes: the trie keeps the last one, so does the model when only the last is kept. */
    static List<Entry> lastWins(List<Entry> in) {
        List<Entry> out = new ArrayList<>();
        for (Entry e : in) {
            out.removeIf(o -> o.prefix().equals(e.prefix()));
            out.add(e);
        }
        return out;
    }

    @Provide
    Arbitrary<List<byte[]>> addresses() {
        return Arbitraries.integers().between(0, 255).tuple2()
                .map(t -> new byte[] {100, 64, (byte) (int) t.get1(), (byte) (int) t.get2()}).list().ofSize(30);
    }

    static InetAddress inet(byte[] a) {
        try {
            return InetAddress.getByAddress(a);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
