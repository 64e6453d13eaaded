/**
 * The {@code danmaku-bench} tool: {@code fanout} (subscribers of one room and a publisher at a rate: deliveries/s,
 * loss, order, latency), {@code ingest} (posting clients: accepted/s, rejections, post→ack latency) and
 * {@code idle} (server memory per idle connection, long holds). It speaks our two client protocols and the
 * peers' plain formats, so every server is measured by the same tool with the same parameters.
 */
package io.danmaku.bench;
