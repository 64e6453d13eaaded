/**
 * The tool's subcommands and their shared options: each run prints one JSON line per result on stdout (and a
 * readable copy on stderr), with the server's CPU and RSS from {@code /proc} and the load average at the time.
 */
package io.danmaku.bench.command;
