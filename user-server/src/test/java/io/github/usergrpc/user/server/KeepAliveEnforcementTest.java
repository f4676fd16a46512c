package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.service.store.InMemoryUserStore;
import io.github.usergrpc.user.testsupport.GrpcCleanup;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2PingFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2PingFrame;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Keepalive enforcement, seen from a raw HTTP/2 client that sends PING frames as it likes (gRPC clients
 * never ping more often than every 10 seconds, so they cannot show it quickly): a client that pings more
 * often than {@code --permit-keepalive-time} allows gets GOAWAY ENHANCE_YOUR_CALM ("too_many_pings") and its
 * connection closed, which gRPC clients report as UNAVAILABLE "Too many pings".
 */
class KeepAliveEnforcementTest {

  @RegisterExtension
  final GrpcCleanup cleanup = new GrpcCleanup();
  private final ExecutorService executor = cleanup.register(Executors.newFixedThreadPool(2));
  private final EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final BlockingQueue<Object> frames = new LinkedBlockingQueue<>();
  private final CountDownLatch settings = new CountDownLatch(1);
  private UserServer server;

  /** The raw client goes first; then the cleanup closes the server and its executor. */
  @AfterEach
  void closeClient() throws InterruptedException {
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
  }

  @Test
  void clientPingingMoreOftenThanTheDefault_getsGoAwayEnhanceYourCalm() throws Exception {
    start();
    Channel connection = connect();

    // Three pings: the third is the strike past grpc's limit of two, answered with GOAWAY and a close. No
    // more: a frame still unread when the server closes turns its close into a reset, and a reset can
    // overtake the GOAWAY (seen as a missing GOAWAY in 3 of 25 runs with five pings).
    for (int i = 1; i <= 3; i++) {
      connection.writeAndFlush(new DefaultHttp2PingFrame(i)).sync();
    }

    GoAway goAway = awaitGoAway();
    assertThat(goAway.errorCode()).isEqualTo(Http2Error.ENHANCE_YOUR_CALM.code());
    assertThat(goAway.debugData()).isEqualTo("too_many_pings");
    assertThat(connection.closeFuture().await(10, TimeUnit.SECONDS)).as("connection closed").isTrue();
  }

  @Test
  void clientPingingNoMoreOftenThanPermitted_keepsItsConnection() throws Exception {
    start("--permit-keepalive-time", "100ms");
    Channel connection = connect();

    for (int i = 1; i <= 5; i++) {
      Thread.sleep(300);
      connection.writeAndFlush(new DefaultHttp2PingFrame(i));
    }

    List<Long> acks = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (acks.size() < 5 && System.nanoTime() < deadline) {
      Object frame = frames.poll(100, TimeUnit.MILLISECONDS);
      assertThat(frame).as("no GOAWAY").isNotInstanceOf(GoAway.class);
      if (frame instanceof Long ack) {
        acks.add(ack);
      }
    }
    assertThat(acks).containsExactly(1L, 2L, 3L, 4L, 5L);
    assertThat(connection.isActive()).isTrue();
  }

  private void start(String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("--port", "0", "--store", "memory"));
    all.addAll(List.of(args));
    server = cleanup.register(
        UserServerMain.newServer(ServerOptions.parse(all, Map.of()), new InMemoryUserStore(), executor).start());
  }

  /** Opens a plaintext HTTP/2 connection (prior knowledge, as gRPC does) that records ping acks and GOAWAYs. */
  private Channel connect() throws InterruptedException {
    Channel channel = new Bootstrap().group(loop).channel(NioSocketChannel.class)
        .handler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel channel) {
            channel.pipeline().addLast(Http2FrameCodecBuilder.forClient().build(), new ChannelInboundHandlerAdapter() {
              @Override
              public void channelRead(ChannelHandlerContext ctx, Object frame) {
                try {
                  if (frame instanceof Http2SettingsFrame) {
                    settings.countDown();
                  } else if (frame instanceof Http2PingFrame ping && ping.ack()) {
                    frames.add(ping.content());
                  } else if (frame instanceof Http2GoAwayFrame goAway) {
                    frames.add(new GoAway(goAway.errorCode(), goAway.content().toString(StandardCharsets.UTF_8)));
                  }
                } finally {
                  ReferenceCountUtil.release(frame);
                }
              }
            });
          }
        })
        .connect("127.0.0.1", server.port()).sync().channel();
    // The server's SETTINGS: its HTTP/2 connection, and so its keepalive enforcement, is set up.
    assertThat(settings.await(Await.BOUND.toSeconds(), TimeUnit.SECONDS)).as("server SETTINGS").isTrue();
    return channel;
  }

  private GoAway awaitGoAway() throws InterruptedException {
    long deadline = System.nanoTime() + Await.BOUND.toNanos();
    while (System.nanoTime() < deadline) {
      if (frames.poll(100, TimeUnit.MILLISECONDS) instanceof GoAway goAway) {
        return goAway;
      }
    }
    throw new AssertionError("no GOAWAY within " + Await.BOUND.toSeconds() + " s; frames: " + frames);
  }

  private record GoAway(long errorCode, String debugData) {}
}
