package dev.gridmesh.nat.classify;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class NatClassifierTest {
    static final InetSocketAddress S1 = new InetSocketAddress("198.18.0.1", 3478);
    static final InetSocketAddress S2 = new InetSocketAddress("198.18.0.1", 3479);
    static final InetSocketAddress S3 = new InetSocketAddress("198.18.0.11", 3478);
    static final InetSocketAddress LOCAL = new InetSocketAddress("198.19.1.2", 51820);
    static final InetSocketAddress PUB = new InetSocketAddress("198.18.0.2", 51820);
    static final InetSocketAddress PUB2 = new InetSocketAddress("198.18.0.2", 20001);

    @Test
    void nothingAnsweredMeansNoUdp() {
        NatReport r = NatClassifier.classify(Set.of(LOCAL),
                List.of(BindingObservation.timedOut(S1), BindingObservation.timedOut(S2)));
        assertThat(r.udp()).isFalse();
        assertThat(r.mapping()).isEqualTo(MappingBehavior.UNKNOWN);
        assertThat(r.bestRtt()).isEmpty();
        assertThat(r.reflexiveUsableByPeers()).isFalse();
    }

    @Test
    void sameMappingEverywhereIsEndpointIndependent() {
        NatReport r = NatClassifier.classify(Set.of(LOCAL),
                List.of(new BindingObservation(S1, PUB, 3_000_000), new BindingObservation(S3, PUB, 2_000_000)));
        assertThat(r.mapping()).isEqualTo(MappingBehavior.ENDPOINT_INDEPENDENT);
        assertThat(r.publicEndpoints()).containsExactly(PUB);
        assertThat(r.acrossAddresses()).isTrue();
        assertThat(r.bestRtt()).contains(Duration.ofMillis(2));
        assertThat(r.reflexiveUsableByPeers()).isTrue();
    }

    @Test
    void differentMappingsAreEndpointDependent() {
        NatReport r = NatClassifier.classify(Set.of(LOCAL),
                List.of(new BindingObservation(S1, PUB, 1), new BindingObservation(S2, PUB2, 1)));
        assertThat(r.mapping()).isEqualTo(MappingBehavior.ENDPOINT_DEPENDENT);
        assertThat(r.publicEndpoints()).containsExactly(PUB, PUB2);
        assertThat(r.acrossAddresses()).isFalse();
    }

    @Test
    void ownAddressMeansNoNatEvenWithOneAnswer() {
        NatReport r = NatClassifier.classify(Set.of(PUB),
                List.of(new BindingObservation(S1, PUB, 1), BindingObservation.timedOut(S2)));
        assertThat(r.mapping()).isEqualTo(MappingBehavior.NO_NAT);
        assertThat(r.udp()).isTrue();
    }

    @Test
    void oneForeignAnswerIsUnknown() {
        NatReport r = NatClassifier.classify(Set.of(),
                List.of(new BindingObservation(S1, PUB, 1), BindingObservation.timedOut(S2)));
        assertThat(r.mapping()).isEqualTo(MappingBehavior.UNKNOWN);
        assertThat(r.udp()).isTrue();
    }
}
