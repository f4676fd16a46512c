/**
 * Benchmarks and load tools: {@link io.github.usergrpc.user.bench.BenchMain} runs the load, pagination, watch,
 * client and soak measurements that {@code scripts/bench/} drive and that write BENCHMARKS.md; the JMH
 * serialization benchmark and a bare grpc-java server for comparison live here too.
 *
 * <p><b>Internal.</b> The {@code user-bench} module is never published; nothing here is API.
 */
package io.github.usergrpc.user.bench;
