/**
 * WebSocket {@code permessage-deflate} (RFC 7692), shaped for fan-out: {@link io.danmaku.gateway.compression.PerMessageDeflate}
 * negotiates it in the handshake with {@code server_no_context_takeover} and {@code client_no_context_takeover},
 * so no message depends on an earlier one in either direction. That is what lets an event loop deflate a room's
 * batch frame once ({@link io.danmaku.gateway.compression.FrameDeflater}) and write the same compressed bytes to
 * every member that negotiated the extension, and inflate every client message with one
 * {@link io.danmaku.gateway.compression.MessageInflater} per loop instead of a zlib stream per connection.
 */
package io.danmaku.gateway.compression;
