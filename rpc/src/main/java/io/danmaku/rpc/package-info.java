/**
 * The gRPC transport of the {@link io.danmaku.protocol.post.PostService} seam between gateway and logic in
 * distributed mode: {@link io.danmaku.rpc.GrpcPostClient} is the gateway's {@code PostService} (a batch split by
 * logic instance, one unary {@code PostBatch} call per instance with a deadline, each user's posts always to the
 * same instance by rendezvous hashing over the addresses of a static list or a DNS name),
 * {@link io.danmaku.rpc.GrpcPostServer} serves logic's {@code PostService} on port 9090, a batch per call.
 * Standalone mode does not use this package: the gateway calls logic directly. Wire contract:
 * {@code danmaku/logic.proto}.
 */
package io.danmaku.rpc;
