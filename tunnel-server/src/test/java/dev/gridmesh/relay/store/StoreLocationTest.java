package dev.gridmesh.relay.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class StoreLocationTest {
    @Test
    void embeddedByDefault() {
        assertThat(StoreLocation.parse(null)).isInstanceOf(StoreLocation.Embedded.class);
        assertThat(StoreLocation.parse("")).isInstanceOf(StoreLocation.Embedded.class);
        assertThat(StoreLocation.parse("h2")).isInstanceOf(StoreLocation.Embedded.class);
    }

    @Test
    void etcdEndpointsAndPrefix() {
        assertThat(StoreLocation.parse("etcd://198.18.0.1:2379")).isEqualTo(
                new StoreLocation.Etcd(List.of("198.18.0.1:2379"), "/gridmesh/"));
        assertThat(StoreLocation.parse("etcd://a.example:2379,b.example:2379,[2001:db8::1]:2379/mesh/prod")).isEqualTo(
                new StoreLocation.Etcd(List.of("a.example:2379", "b.example:2379", "[2001:db8::1]:2379"), "/mesh/prod/"));
        assertThat(StoreLocation.parse("etcd://h:1/x/").toString()).isEqualTo("etcd://h:1/x/");
    }

    @Test
    void badValuesNameWhatWasExpected() {
        assertThatThrownBy(() -> StoreLocation.parse("mysql://h:1")).hasMessageContaining("store: mysql://h:1")
                .hasMessageContaining("expected: h2, or etcd://HOST:PORT");
        assertThatThrownBy(() -> StoreLocation.parse("etcd://")).hasMessageContaining("endpoint ''");
        assertThatThrownBy(() -> StoreLocation.parse("etcd://h")).hasMessageContaining("endpoint 'h'");
        assertThatThrownBy(() -> StoreLocation.parse("etcd://h:70000")).hasMessageContaining("endpoint 'h:70000'");
        assertThatThrownBy(() -> StoreLocation.parse("etcd://h:1,,g:2")).hasMessageContaining("endpoint ''");
        assertThatThrownBy(() -> StoreLocation.parse("etcd://h:1/a b/")).hasMessageContaining("prefix /a b/");
    }
}
