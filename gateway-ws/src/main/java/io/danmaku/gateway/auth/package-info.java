/**
 * Tokens: connection JWTs (HS256/384/512 with a shared secret, RS256 and ES256 with a public key or a JWKS URL
 * by {@code kid}) carrying the user id in {@code sub}, an optional display {@code name}, an optional expiry
 * {@code exp} and an optional list of {@code rooms} the connection may join; Centrifugo subscription tokens
 * ({@code sub}, {@code channel}, {@code exp}) for the private rooms; which rooms are private. Also the
 * development-only demo token issuer.
 */
package io.danmaku.gateway.auth;
