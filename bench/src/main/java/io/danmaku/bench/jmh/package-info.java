/**
 * JMH benchmarks of the fan-out hot path: the per-batch encoders ({@code EncoderBenchmark}), the per-member
 * write of one shared frame against per-member copies and encodings ({@code MemberWriteBenchmark}), and the
 * real engine driven through its public API ({@code RegistryFanoutBenchmark}). Run them with bench/jmh.sh.
 */
package io.danmaku.bench.jmh;
