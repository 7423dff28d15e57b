package dev.gridmesh.cli.wgquick;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.agent.localapi.ShowResponse;
import dev.gridmesh.agent.localapi.ShowResponse.InterfaceInfo;
import dev.gridmesh.agent.localapi.ShowResponse.PeerInfo;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The {@code wg show} look-alike text, following the formats of wg's show.c (pretty_time, bytes, peer order). */
class ShowTextTest {
    static final long NOW = 1_764_356_400_000L;

    @Test
    void formatsLikeWgShow() {
        ShowResponse r = new ShowResponse(new InterfaceInfo("wg0", "PUB0", 51820, List.of("100.64.0.1/24"), 1420),
                List.of(new PeerInfo("PUBOLD", "198.18.0.3:51820", List.of("100.64.0.3/32"), NOW - 3_725_000, 512,
                                1536, 0, false),
                        new PeerInfo("PUBNEW", "[2001:db8::2]:51820", List.of("100.64.0.2/32", "fd7a::2/128"),
                                NOW - 65_000, 1_258_291, 3_565_158, 25, true),
                        new PeerInfo("PUBNEVER", null, List.of(), 0, 0, 0, 0, false)));
        assertThat(ShowText.format(r, NOW)).isEqualTo("""
                interface: wg0
                  public key: PUB0
                  private key: (hidden)
                  listening port: 51820

                peer: PUBNEW
                  preshared key: (hidden)
                  endpoint: [2001:db8::2]:51820
                  allowed ips: 100.64.0.2/32, fd7a::2/128
                  latest handshake: 1 minute, 5 seconds ago
                  transfer: 1.20 MiB received, 3.40 MiB sent
                  persistent keepalive: every 25 seconds

                peer: PUBOLD
                  endpoint: 198.18.0.3:51820
                  allowed ips: 100.64.0.3/32
                  latest handshake: 1 hour, 2 minutes, 5 seconds ago
                  transfer: 512 B received, 1.50 KiB sent

                peer: PUBNEVER
                  allowed ips: (none)
                """);
    }

    @Test
    void agoAsWgPrintsIt() {
        assertThat(ShowText.ago(NOW, NOW + 400)).isEqualTo("Now");
        assertThat(ShowText.ago(NOW - 1000, NOW)).isEqualTo("1 second ago");
        assertThat(ShowText.ago(NOW - 2000, NOW)).isEqualTo("2 seconds ago");
        assertThat(ShowText.ago(NOW - 60_000, NOW)).isEqualTo("1 minute ago");
        assertThat(ShowText.ago(NOW - (366L * 86400 + 2 * 86400 + 3600) * 1000, NOW))
                .isEqualTo("1 year, 3 days, 1 hour ago");
        assertThat(ShowText.ago(NOW + 5000, NOW)).isEqualTo("(System clock wound backward; connection problems may ensue.)");
    }

    @Test
    void bytesAsWgPrintsThem() {
        assertThat(ShowText.bytes(0)).isEqualTo("0 B");
        assertThat(ShowText.bytes(1023)).isEqualTo("1023 B");
        assertThat(ShowText.bytes(1024)).isEqualTo("1.00 KiB");
        assertThat(ShowText.bytes(5L << 30)).isEqualTo("5.00 GiB");
        assertThat(ShowText.bytes(3L << 40)).isEqualTo("3.00 TiB");
    }
}
