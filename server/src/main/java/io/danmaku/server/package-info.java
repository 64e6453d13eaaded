/**
 * The {@code danmaku} executable: {@link io.danmaku.server.Main} parses the command line and runs a role. Its
 * subpackages hold the configuration framework ({@code config}), the command-line commands and the process
 * lifecycle ({@code cli}), the admin HTTP endpoints ({@code admin}) and the roles that wire the tiers ({@code role}).
 */
package io.danmaku.server;
