package io.danmaku.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ReadinessTest {
    @Test
    void startsNotReadyBecomesReadyAndNeverAgainAfterDraining() {
        Readiness readiness = new Readiness();
        assertThat(readiness.state()).isEqualTo(Readiness.State.STARTING);
        assertThat(readiness.isReady()).isFalse();

        assertThat(readiness.markReady()).isTrue();
        assertThat(readiness.isReady()).isTrue();

        readiness.markDraining();
        assertThat(readiness.markReady()).isFalse();
        assertThat(readiness.state()).isEqualTo(Readiness.State.DRAINING);
        assertThat(readiness).hasToString("draining");
    }
}
