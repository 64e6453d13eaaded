/**
 * Bilibili's live danmaku protocol (goim-derived, binary) on {@code /sub}, so the open Bilibili live clients
 * work unmodified against this server: 16-byte big-endian packet headers, op 7 auth with the same JWT as the
 * JSON protocol (answered by op 8), op 2 heartbeats (answered by op 3 with the room's online count), and room
 * batches as op 5 packets ({@code DANMU_MSG} in the {@code info} array layout the clients index, other events
 * as their own {@code cmd}) several to a frame, compressed per the client's {@code protover} (2 zlib,
 * 3 brotli) and encoded once per batch and protover for every member of the room; each record's packet is
 * built once and shared by the three forms on every event loop. The protocol is read-only: posting stays on
 * the JSON protocol and the server API.
 */
package io.danmaku.gateway.protocol.bilibili;
