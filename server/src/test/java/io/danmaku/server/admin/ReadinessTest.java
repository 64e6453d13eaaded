package io.danmaku.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicBoolean;
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

    @Test
    void aRequiredDependencyThatIsDownMakesAReadyProcessUnavailableUntilItIsBack() {
        Readiness readiness = new Readiness();
        AtomicBoolean kafka = new AtomicBoolean(false);
        readiness.require("kafka", kafka::get);
        assertThat(readiness.report()).isEqualTo(new Readiness.Report(false, "starting"));

        readiness.markReady();
        assertThat(readiness.report()).isEqualTo(new Readiness.Report(false, "unavailable: kafka"));
        assertThat(readiness.isReady()).isFalse();

        kafka.set(true);
        assertThat(readiness.report()).isEqualTo(new Readiness.Report(true, "ready"));

        readiness.markDraining();
        assertThat(readiness.report()).isEqualTo(new Readiness.Report(false, "draining"));
    }
}
