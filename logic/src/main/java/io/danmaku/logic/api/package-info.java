/**
 * The server API for backends, compatible with Centrifugo's HTTP API: publish and broadcast of danmaku bodies and
 * custom events, plus moderation (ban, mute), authenticated by API key, errors in Centrifugo's shape and codes.
 * Transport-neutral: it implements {@link io.danmaku.protocol.api.HttpApi} and is served by the role's HTTP
 * server.
 */
package io.danmaku.logic.api;
