/**
 * The Netty leak guard. {@link io.danmaku.testkit.leak.RecordingLeakDetector} is installed for every
 * reference-counted resource type through the {@code io.netty.customResourceLeakDetector} system property (the
 * parent POM sets it in Surefire's argLine) and remembers each leak Netty reports, still logging the usual
 * {@code LEAK:} line. {@link io.danmaku.testkit.leak.NettyLeakExtension}, auto-detected by JUnit in the modules
 * that enable extension auto-detection, fails a test class when a leak was recorded while or before it ran; the
 * parent POM's verify-phase check on {@code LEAK:} in the Surefire output is the second line of defence.
 */
package io.danmaku.testkit.leak;
