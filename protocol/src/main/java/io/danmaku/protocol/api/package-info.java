/**
 * A transport-neutral HTTP seam: the server API for backends (publish, broadcast, moderation) is implemented
 * by logic against these types and served by whatever HTTP server the role runs (the gateway's port in
 * standalone, logic's own port in distributed mode).
 */
package io.danmaku.protocol.api;
