package io.danmaku.gateway.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmaku.gateway.GatewayConfig;
import io.danmaku.gateway.auth.TokenVerifier;
import io.danmaku.gateway.protocol.centrifuge.CentrifugeBatchEncoder;
import io.danmaku.gateway.room.BatchEncoder;
import io.danmaku.gateway.room.FanoutMetrics;
import io.danmaku.gateway.room.RoomRegistry;
import io.danmaku.protocol.memory.MemoryHotStore;
import io.danmaku.protocol.memory.MemoryMessageBus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The shared ping ticks of one loop, on an {@code EmbeddedChannel}'s loop with its clock advanced by hand. */
class PingWheelTest {
    /** 32 s: one slot per second. */
    static final Duration PERIOD = Duration.ofSeconds(PingWheel.SLOTS);

    final MemoryMessageBus bus = new MemoryMessageBus();
    final EmbeddedChannel ch = new EmbeddedChannel();
    final GatewayContext context = new GatewayContext(GatewayConfig.builder().pingInterval(PERIOD).build(),
            new RoomRegistry(ch.eventLoop(), 0, 100, 16, new FanoutMetrics(new SimpleMeterRegistry())), bus,
            new MemoryHotStore(), req -> new CompletableFuture<>(),
            TokenVerifier.create("wheel-secret-wheel-secret-wheel-secret-01", null, Clock.systemUTC()), true,
            new SimpleMeterRegistry());

    @AfterEach
    void tearDown() {
        ch.finishAndReleaseAll();
        bus.close();
    }

    /** A session that counts its ticks and can leave the wheel during one. */
    final class Probe extends WebSocketSession {
        int ticks;
        PingWheel leaveOnTick;

        Probe() {
            super(context, "probe", 3008, 1011, 3005, 3503);
        }

        @Override
        protected void onOpen() {
            startTicks();
        }

        @Override
        protected void onTick(long nowNanos) {
            ticks++;
            if (leaveOnTick != null) {
                leaveOnTick.remove(this);
            }
        }

        @Override
        protected void onDataFrame(ChannelHandlerContext c, WebSocketFrame frame) {
        }

        @Override
        protected void cancelTimers() {
        }

        @Override
        protected void leaveRooms() {
        }

        @Override
        public BatchEncoder encoder() {
            return CentrifugeBatchEncoder.INSTANCE;
        }
    }

    void advanceSeconds(long seconds) {
        for (long i = 0; i < seconds; i++) {
            ch.advanceTimeBy(1, TimeUnit.SECONDS);
            ch.runPendingTasks();
        }
    }

    @Test
    void everySessionIsTickedOncePerPeriodStartingAboutAPeriodAfterItJoined() {
        PingWheel wheel = new PingWheel(ch.eventLoop(), PERIOD);
        Probe a = new Probe();
        Probe b = new Probe();
        wheel.add(a);
        wheel.add(b);
        wheel.add(a); // already there: still one tick per period
        advanceSeconds(PERIOD.toSeconds() - 2);
        assertThat(a.ticks).isZero();
        advanceSeconds(2);
        assertThat(a.ticks).isEqualTo(1);
        assertThat(b.ticks).isEqualTo(1);
        advanceSeconds(PERIOD.toSeconds());
        assertThat(a.ticks).isEqualTo(2);
        assertThat(b.ticks).isEqualTo(2);
        assertThat(wheel.size()).isEqualTo(2);
    }

    @Test
    void aSessionLeavingDuringItsTickDoesNotCostTheOthersOfItsSlotTheirTick() {
        PingWheel wheel = new PingWheel(ch.eventLoop(), PERIOD);
        Probe[] probes = new Probe[5];
        for (int i = 0; i < probes.length; i++) {
            probes[i] = new Probe();
            wheel.add(probes[i]);
        }
        probes[1].leaveOnTick = wheel;
        probes[4].leaveOnTick = wheel;
        advanceSeconds(PERIOD.toSeconds() * 2);
        assertThat(probes).extracting(p -> p.ticks).containsExactly(2, 1, 2, 2, 1);
        assertThat(wheel.size()).isEqualTo(3);
    }

    @Test
    void aClosedConnectionIsNoLongerTicked() {
        Probe p = new Probe();
        ch.pipeline().addLast(p);
        PingWheel wheel = context.pingWheel(ch.eventLoop());
        assertThat(wheel.size()).isEqualTo(1);
        advanceSeconds(PERIOD.toSeconds());
        assertThat(p.ticks).isEqualTo(1);
        ch.close();
        assertThat(wheel.size()).isZero();
        advanceSeconds(PERIOD.toSeconds());
        assertThat(p.ticks).isEqualTo(1);
    }
}
