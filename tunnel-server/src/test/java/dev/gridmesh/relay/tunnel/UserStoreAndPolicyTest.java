package dev.gridmesh.relay.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UserStoreAndPolicyTest {
    @TempDir Path dir;

    @Test
    void tokensAreStoredHashedAndRevocable() throws IOException {
        UserStore.createUser(dir, "alice", Set.of("ops"));
        String t1 = UserStore.issueToken(dir, "alice", new SecureRandom(), Instant.EPOCH);
        String t2 = UserStore.issueToken(dir, "alice", new SecureRandom(), Instant.EPOCH);
        String file = Files.readString(dir.resolve(UserStore.FILE));
        assertThat(file).doesNotContain(t1.substring(13)).doesNotContain(t2.substring(13));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(UserStore.FILE)))).isEqualTo("rw-------");
        UserStore s = UserStore.load(dir);
        assertThat(s.authenticate(t1)).isInstanceOfSatisfying(UserStore.Auth.Ok.class,
                ok -> assertThat(ok.user().groups()).containsExactly("ops"));
        // forged: right id, wrong secret
        String forged = t1.substring(0, 13) + "A".repeat(32);
        assertThat(s.authenticate(forged)).isInstanceOfSatisfying(UserStore.Auth.Refused.class,
                r -> assertThat(r.reason()).contains("not recognised"));
        assertThat(s.authenticate("garbage")).isInstanceOf(UserStore.Auth.Refused.class);
        assertThat(UserStore.revoke(dir, "alice", t1.substring(4, 12))).isEqualTo(1);
        s = UserStore.load(dir);
        assertThat(s.authenticate(t1)).isInstanceOfSatisfying(UserStore.Auth.Refused.class,
                r -> assertThat(r.reason()).contains("revoked"));
        assertThat(s.authenticate(t2)).isInstanceOf(UserStore.Auth.Ok.class);
        UserStore.removeUser(dir, "alice");
        assertThat(UserStore.load(dir).authenticate(t2)).isInstanceOf(UserStore.Auth.Refused.class);
    }

    @Test
    void tokenForUnknownUserAndBadNamesAreRefused() {
        assertThatThrownBy(() -> UserStore.issueToken(dir, "nobody", new SecureRandom(), Instant.EPOCH))
                .hasMessageContaining("no user nobody");
        assertThatThrownBy(() -> UserStore.createUser(dir, "Bad Name", Set.of()))
                .hasMessageContaining("user name Bad Name");
    }

    @Test
    void policyDefaultsToNothingAndFirstMatchAllows() throws IOException {
        assertThat(TunnelPolicy.load(dir).allows("alice", Set.of(), "w", Set.of(), 22)).isFalse();
        TunnelPolicy p = TunnelPolicy.parse("p", List.of(
                "# comment", "allow group:ops tag:gpu 22,8000-8999", "allow user:bob node:w7 22  # trailing", "allow * node:pub *"));
        assertThat(p.allows("alice", Set.of("ops"), "w1", Set.of("gpu"), 22)).isTrue();
        assertThat(p.allows("alice", Set.of("ops"), "w1", Set.of("gpu"), 8888)).isTrue();
        assertThat(p.allows("alice", Set.of("ops"), "w1", Set.of("gpu"), 9000)).isFalse();
        assertThat(p.allows("alice", Set.of("ops"), "w1", Set.of(), 22)).isFalse();
        assertThat(p.allows("bob", Set.of(), "w7", Set.of(), 22)).isTrue();
        assertThat(p.allows("bob", Set.of(), "w7", Set.of(), 23)).isFalse();
        assertThat(p.allows("eve", Set.of(), "pub", Set.of(), 65535)).isTrue();
        assertThat(p.portsFor("alice", Set.of("ops"), "w1", Set.of("gpu"))).isEqualTo("22,8000-8999");
    }

    @Test
    void policyErrorsNameFileLineKeyAndReason() {
        assertThatThrownBy(() -> TunnelPolicy.parse("pol", List.of("", "deny * * 22")))
                .hasMessage("pol:2: deny: unknown rule (expected: allow)");
        assertThatThrownBy(() -> TunnelPolicy.parse("pol", List.of("allow someone node:w 22")))
                .hasMessage("pol:1: subject: someone (expected: user:NAME, group:NAME or *)");
        assertThatThrownBy(() -> TunnelPolicy.parse("pol", List.of("allow * node:w 70000")))
                .hasMessage("pol:1: ports: 70000 (expected: 1..65535, LO-HI or *)");
        assertThatThrownBy(() -> TunnelPolicy.parse("pol", List.of("allow * node:w")))
                .hasMessage("pol:1: allow: 2 fields (expected: SUBJECT TARGET PORTS)");
    }
}
