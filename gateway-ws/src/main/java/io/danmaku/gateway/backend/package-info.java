/**
 * The application's backend as the gateway calls it, in the shape of Centrifugo's HTTP proxies: the Centrifugo
 * protocol's {@code rpc} and {@code send} commands, a {@code connect} without a token (the connect proxy) and a
 * client's {@code publish} (the publish proxy), over HTTP ({@link io.danmaku.gateway.backend.BackendProxy}, one per
 * gateway, answers capped in size) with a bound per connection and publishes answered in order
 * ({@link io.danmaku.gateway.backend.BackendCalls}).
 */
package io.danmaku.gateway.backend;
