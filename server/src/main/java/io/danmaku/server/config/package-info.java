/**
 * The configuration framework. Every key is defined once in a {@link io.danmaku.server.config.ConfigDef} with its
 * type, default, validator and documentation ({@link io.danmaku.server.config.DanmakuKeys} holds the server's);
 * {@link io.danmaku.server.config.ConfigLoader} resolves them from defaults, a YAML file, {@code DANMAKU_*}
 * environment variables and {@code --set key=value} flags (later wins) into an immutable
 * {@link io.danmaku.server.config.Config}, and reports every bad value naming the key, the value, where it came
 * from and what was expected. {@link io.danmaku.server.config.ConfigDocs} renders the definitions as the
 * markdown of {@code docs/CONFIGURATION.md}.
 */
package io.danmaku.server.config;
