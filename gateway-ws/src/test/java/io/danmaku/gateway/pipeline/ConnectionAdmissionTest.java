package io.danmaku.gateway.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The admission rules on a clock the test moves. */
class ConnectionAdmissionTest {
    final AtomicLong now = new AtomicLong(1_000);
    final InetAddress a = InetAddress.getLoopbackAddress();
    final InetAddress b;

    ConnectionAdmissionTest() throws Exception {
        b = InetAddress.getByAddress(new byte[] {10, 0, 0, 2});
    }

    @Test
    void perAddressCapCountsEachAddressApartAndForgetsClosedConnections() {
        ConnectionAdmission admission = new ConnectionAdmission(0, 2, 0, 1, now::get);
        assertThat(admission.admit(a)).isNull();
        assertThat(admission.admit(a)).isNull();
        assertThat(admission.admit(a)).isEqualTo(Refusal.PER_IP);
        assertThat(admission.admit(b)).as("another address").isNull();

        admission.release(a);
        assertThat(admission.admit(a)).isNull();
        admission.release(a);
        admission.release(a);
        admission.release(b);
        assertThat(admission.open()).isZero();
        assertThat(admission.addresses()).as("no entry left for closed addresses").isZero();
    }

    @Test
    void gatewayCapRefusesPastTheMaximumAndAdmitsAgainAfterAClose() {
        ConnectionAdmission admission = new ConnectionAdmission(2, 0, 0, 1, now::get);
        assertThat(admission.admit(a)).isNull();
        assertThat(admission.admit(b)).isNull();
        assertThat(admission.admit(b)).isEqualTo(Refusal.MAX);
        assertThat(admission.open()).isEqualTo(2);
        admission.release(a);
        assertThat(admission.admit(b)).isNull();
    }

    @Test
    void acceptRateAllowsTheBurstThenTheSustainedRate() {
        ConnectionAdmission admission = new ConnectionAdmission(0, 0, 10, 3, now::get);
        for (int i = 0; i < 3; i++) {
            assertThat(admission.admit(a)).isNull();
        }
        assertThat(admission.admit(a)).isEqualTo(Refusal.RATE);

        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(100)); // one token at 10 per second
        assertThat(admission.admit(a)).isNull();
        assertThat(admission.admit(a)).isEqualTo(Refusal.RATE);

        now.addAndGet(TimeUnit.SECONDS.toNanos(60)); // refills up to the burst, not beyond
        for (int i = 0; i < 3; i++) {
            assertThat(admission.admit(a)).isNull();
        }
        assertThat(admission.admit(a)).isEqualTo(Refusal.RATE);
    }

    @Test
    void aConnectionRefusedByOneRuleIsNotCountedOpen() {
        ConnectionAdmission admission = new ConnectionAdmission(5, 1, 0, 1, now::get);
        assertThat(admission.admit(a)).isNull();
        assertThat(admission.admit(a)).isEqualTo(Refusal.PER_IP);
        assertThat(admission.open()).isEqualTo(1);
    }
}
