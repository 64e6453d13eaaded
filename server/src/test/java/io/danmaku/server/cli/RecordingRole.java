package io.danmaku.server.cli;

import io.danmaku.server.admin.Readiness;
import io.danmaku.server.config.Config;
import io.danmaku.server.role.Role;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/** A role that records what the lifecycle did to it, and fails to start when told to. */
final class RecordingRole implements Role {
    final CountDownLatch started = new CountDownLatch(1);
    final AtomicInteger closes = new AtomicInteger();
    volatile Config config;
    volatile Readiness readiness;
    volatile MeterRegistry registry;
    private final RuntimeException failure;

    RecordingRole() {
        this(null);
    }

    RecordingRole(RuntimeException failure) {
        this.failure = failure;
    }

    @Override
    public void start(Config config, MeterRegistry registry, Readiness readiness) {
        this.config = config;
        this.registry = registry;
        this.readiness = readiness;
        if (failure != null) {
            throw failure;
        }
        registry.counter("danmaku.test.started").increment();
        started.countDown();
    }

    @Override
    public void close() {
        closes.incrementAndGet();
    }
}
