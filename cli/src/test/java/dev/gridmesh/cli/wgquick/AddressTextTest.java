package dev.gridmesh.cli.wgquick;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** RFC 5952 section 4 text for IPv6 in prefixes and endpoints. */
class AddressTextTest {
    @Test
    void compressesTheLongestZeroRun() {
        assertThat(AddressText.canonical("fd7a:0:0:0:0:0:0:2/128")).isEqualTo("fd7a::2/128");
        assertThat(AddressText.canonical("0:0:0:0:0:0:0:0/0")).isEqualTo("::/0");
        assertThat(AddressText.canonical("2001:db8:0:0:1:0:0:1")).isEqualTo("2001:db8::1:0:0:1"); // first of equals
        assertThat(AddressText.canonical("2001:db8:0:1:1:1:1:1")).isEqualTo("2001:db8:0:1:1:1:1:1"); // one zero: kept
        assertThat(AddressText.canonical("2001:DB8:0:0:0:0:0:B")).isEqualTo("2001:db8::b");
        assertThat(AddressText.canonical("0:0:0:0:0:0:0:1")).isEqualTo("::1");
        assertThat(AddressText.canonical("fe80:0:0:0:0:0:0:0")).isEqualTo("fe80::");
    }

    @Test
    void endpointsAndIpv4PassThrough() {
        assertThat(AddressText.canonical("[2001:db8:0:0:0:0:0:b]:51820")).isEqualTo("[2001:db8::b]:51820");
        assertThat(AddressText.canonical("198.18.0.2:51820")).isEqualTo("198.18.0.2:51820");
        assertThat(AddressText.canonical("100.64.0.1/24")).isEqualTo("100.64.0.1/24");
        assertThat(AddressText.canonical(null)).isNull();
        assertThat(AddressText.canonical("not:an address")).isEqualTo("not:an address");
    }
}
