package dev.gridmesh.agent.tun;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TunDeviceNameTest {
    @Test
    void namesAreChecked() {
        assertThatCode(() -> LinuxTunDevice.validateName("wg0")).doesNotThrowAnyException();
        assertThatCode(() -> LinuxTunDevice.validateName("gm-abcdefghijkl")).doesNotThrowAnyException();
        assertThatThrownBy(() -> LinuxTunDevice.validateName("this-is-too-long")).isInstanceOf(TunException.class)
                .hasMessageContaining("1-15 printable ASCII");
        assertThatThrownBy(() -> LinuxTunDevice.validateName("a/b")).isInstanceOf(TunException.class);
        assertThatThrownBy(() -> LinuxTunDevice.validateName("")).isInstanceOf(TunException.class);
        assertThatThrownBy(() -> LinuxTunDevice.validateName("wg 0")).isInstanceOf(TunException.class);
    }
}
