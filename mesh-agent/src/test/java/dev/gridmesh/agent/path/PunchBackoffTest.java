package dev.gridmesh.agent.path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PunchBackoffTest {
    static final long S = 1_000_000_000L;

    @Test
    void doublesFromMinToMaxAndForgetsOnSuccess() {
        PunchBackoff b = new PunchBackoff(5 * S, 60 * S);
        long now = 1000 * S;
        long[] expected = {5, 10, 20, 40, 60, 60};
        for (long e : expected) {
            b.sessionStarted();
            assertThat(b.retryDue(now)).isFalse();
            b.gaveUp(now);
            assertThat(b.delayNanos()).isEqualTo(e * S);
            assertThat(b.retryDue(now + e * S - 1)).isFalse();
            assertThat(b.retryDue(now + e * S)).isTrue();
            now += e * S;
        }
        b.succeeded();
        assertThat(b.delayNanos()).isZero();
        assertThat(b.retryDue(now + 1000 * S)).isFalse();
        b.gaveUp(now);
        assertThat(b.delayNanos()).isEqualTo(5 * S);
    }

    /** The long-outage case: after 60 s delays, a ping, traffic or an endpoint change brings the next try close. */
    @Test
    void resetAfterALongOutageBringsTheRetryBackToMin() {
        PunchBackoff b = new PunchBackoff(5 * S, 60 * S);
        long now = 0;
        for (int i = 0; i < 6; i++) {
            b.gaveUp(now);
        }
        assertThat(b.delayNanos()).isEqualTo(60 * S);
        assertThat(b.nextRetryAt()).isEqualTo(60 * S);
        // traffic-triggered sessions were held back to half the delay
        assertThat(b.onDemandAllowed(20 * S, 0, false)).isFalse();
        assertThat(b.onDemandAllowed(30 * S, 0, false)).isTrue();
        // an explicit ping is not held back by the delay at all
        assertThat(b.onDemandAllowed(1 * S, 0, true)).isTrue();
        assertThat(b.onDemandAllowed(S / 2, 0, true)).isFalse();

        b.reset(2 * S);
        assertThat(b.resets()).isEqualTo(1);
        assertThat(b.delayNanos()).isZero();
        assertThat(b.nextRetryAt()).as("the pending retry comes forward to now + min").isEqualTo(7 * S);
        assertThat(b.onDemandAllowed(3 * S, 0, false)).isTrue();
        b.sessionStarted();
        b.gaveUp(10 * S);
        assertThat(b.delayNanos()).as("the next give-up waits min again").isEqualTo(5 * S);
    }

    @Test
    void resetDoesNotPostponeAnEarlierRetry() {
        PunchBackoff b = new PunchBackoff(5 * S, 60 * S);
        b.gaveUp(0);
        b.reset(3 * S);
        assertThat(b.nextRetryAt()).isEqualTo(5 * S);
        PunchBackoff idle = new PunchBackoff(5 * S, 60 * S);
        idle.reset(0);
        assertThat(idle.nextRetryAt()).isEqualTo(PunchBackoff.NONE);
    }

    /** Which peer endpoint changes reset the backoff (PathManager.movedOrRemapped). */
    @Test
    void endpointChangesThatCountAsNews() {
        var pub = new java.net.InetSocketAddress("198.18.20.2", 40000);
        var pub2 = new java.net.InetSocketAddress("198.18.20.2", 40001);
        var lan = new java.net.InetSocketAddress("198.18.2.2", 51820);
        var moved = new java.net.InetSocketAddress("198.18.30.2", 40000);
        var edm = dev.gridmesh.nat.classify.MappingBehavior.ENDPOINT_DEPENDENT;
        var eim = dev.gridmesh.nat.classify.MappingBehavior.ENDPOINT_INDEPENDENT;
        assertThat(PathManager.movedOrRemapped(java.util.List.of(pub, lan), java.util.List.of(pub, lan), eim)).isFalse();
        // an endpoint-dependent NAT's reflexive ports churn at every STUN run: not news
        assertThat(PathManager.movedOrRemapped(java.util.List.of(pub, lan), java.util.List.of(pub2, lan), edm)).isFalse();
        // the same for an endpoint-independent NAT means its mapping changed (NAT reboot): news
        assertThat(PathManager.movedOrRemapped(java.util.List.of(pub, lan), java.util.List.of(pub2, lan), eim)).isTrue();
        // another address: the peer moved, whatever its NAT
        assertThat(PathManager.movedOrRemapped(java.util.List.of(pub, lan), java.util.List.of(moved, lan), edm)).isTrue();
        assertThat(PathManager.movedOrRemapped(java.util.List.of(), java.util.List.of(pub), edm)).isTrue();
    }

    @Test
    void refusesNonsense() {
        assertThatThrownBy(() -> new PunchBackoff(0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PunchBackoff(2, 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
