/**
 * The seam between the access tier and logic: a client's danmaku post goes in as a {@link
 * io.danmaku.protocol.post.PostRequest} and comes back accepted (durable, with its position) or rejected
 * with a {@link io.danmaku.protocol.post.RejectReason}. In standalone a direct call, in distributed mode gRPC.
 */
package io.danmaku.protocol.post;
