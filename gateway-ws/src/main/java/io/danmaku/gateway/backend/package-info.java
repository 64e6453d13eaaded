/**
 * The application's backend as the gateway calls it: the Centrifugo protocol's {@code rpc} and {@code send} commands
 * proxied over HTTP ({@link io.danmaku.gateway.backend.BackendProxy}, one per gateway) with a bound per connection
 * ({@link io.danmaku.gateway.backend.BackendCalls}).
 */
package io.danmaku.gateway.backend;
