/**
 * Connection tokens: JWTs signed with HS256 (a shared secret) or RS256 (a public key), carrying the user id in
 * {@code sub}, an optional display {@code name}, an optional expiry {@code exp} and an optional list of
 * {@code rooms} the connection may join. Also the development-only demo token issuer.
 */
package io.danmaku.gateway.auth;
