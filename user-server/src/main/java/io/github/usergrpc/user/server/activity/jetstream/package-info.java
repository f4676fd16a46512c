/**
 * The activity log on NATS JetStream (issue 18): {@link
 * io.github.usergrpc.user.server.activity.jetstream.JetStreamActivityLog} (one stream, a subject per user, the
 * stream sequence as the event's sequence; publish with de-duplication, read a user's events after a sequence
 * and then live, with expired resume points detected), its {@link
 * io.github.usergrpc.user.server.activity.jetstream.JetStreamActivitySettings}, and {@link
 * io.github.usergrpc.user.server.activity.jetstream.OutboxRelay}, which moves events written in a database
 * transaction to the stream exactly once, with one relay active across replicas.
 *
 * <p>Written for nats-server 2.9 and newer: nothing here relies on a 2.10+ stream or consumer option (2.9
 * accepts such options and silently ignores them), and start sequences are checked here because the server
 * silently clamps them.
 *
 * <p>{@link io.github.usergrpc.user.server.activity.jetstream.JetStreamUserStore} puts them together: the
 * server runs on it with {@code --activity nats://host:port}.
 *
 * <p><b>Internal.</b> Names and shapes may change in any release.
 */
package io.github.usergrpc.user.server.activity.jetstream;
