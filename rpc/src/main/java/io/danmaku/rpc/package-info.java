/**
 * The gRPC transport of the {@link io.danmaku.protocol.post.PostService} seam between gateway and logic in
 * distributed mode: {@link io.danmaku.rpc.GrpcPostClient} is the gateway's {@code PostService} (one pipelined
 * unary call per post, with a deadline, round robin over the logic instances found by DNS or a static list),
 * {@link io.danmaku.rpc.GrpcPostServer} serves logic's {@code PostService} on port 9090. Standalone mode does not
 * use this package: the gateway calls logic directly. Wire contract: {@code danmaku/logic.proto}.
 */
package io.danmaku.rpc;
