/**
 * A small HTTP server for the roles that serve an {@link io.danmaku.protocol.api.HttpApi} on a port of their
 * own (logic's server API, storage's history API): off the hot path, so the JDK's HTTP server is enough. With
 * {@link io.danmaku.server.http.HttpTls} it (and the admin server) speaks HTTPS, its certificate reloaded when
 * the files change.
 */
package io.danmaku.server.http;
