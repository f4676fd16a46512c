package io.github.usergrpc.user.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.github.usergrpc.user.v1.ListUsersResponse;
import io.github.usergrpc.user.v1.UserResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Encode and decode of a realistic UserResponse and a ListUsersResponse of 20 users: protobuf binary, JSON
 * with protobuf-java-util's JsonFormat (compact), and JSON with Jackson on equivalent Java records. Every
 * encoder ends with bytes and every decoder starts from bytes, as on the wire.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SerializationBenchmark {

  UserResponse user;
  ListUsersResponse page;
  SampleData.UserJson userRecord;
  SampleData.ListUsersJson pageRecord;
  byte[] userProto;
  byte[] pageProto;
  byte[] userJsonFormat;
  byte[] pageJsonFormat;
  byte[] userJackson;
  byte[] pageJackson;
  JsonFormat.Printer printer;
  JsonFormat.Parser parser;
  ObjectMapper mapper;

  @Setup
  public void setUp() throws IOException {
    user = SampleData.user(1);
    page = SampleData.page(20);
    userRecord = SampleData.UserJson.of(user);
    pageRecord = SampleData.ListUsersJson.of(page);
    printer = JsonFormat.printer().omittingInsignificantWhitespace();
    parser = JsonFormat.parser();
    mapper = new ObjectMapper();
    userProto = user.toByteArray();
    pageProto = page.toByteArray();
    userJsonFormat = printer.print(user).getBytes(StandardCharsets.UTF_8);
    pageJsonFormat = printer.print(page).getBytes(StandardCharsets.UTF_8);
    userJackson = mapper.writeValueAsBytes(userRecord);
    pageJackson = mapper.writeValueAsBytes(pageRecord);
  }

  @Benchmark
  public byte[] userEncodeProtobuf() {
    return user.toByteArray();
  }

  @Benchmark
  public UserResponse userDecodeProtobuf() throws InvalidProtocolBufferException {
    return UserResponse.parseFrom(userProto);
  }

  @Benchmark
  public byte[] userEncodeJsonFormat() throws InvalidProtocolBufferException {
    return printer.print(user).getBytes(StandardCharsets.UTF_8);
  }

  @Benchmark
  public UserResponse userDecodeJsonFormat() throws InvalidProtocolBufferException {
    UserResponse.Builder builder = UserResponse.newBuilder();
    parser.merge(new String(userJsonFormat, StandardCharsets.UTF_8), builder);
    return builder.build();
  }

  @Benchmark
  public byte[] userEncodeJackson() throws IOException {
    return mapper.writeValueAsBytes(userRecord);
  }

  @Benchmark
  public SampleData.UserJson userDecodeJackson() throws IOException {
    return mapper.readValue(userJackson, SampleData.UserJson.class);
  }

  @Benchmark
  public byte[] pageEncodeProtobuf() {
    return page.toByteArray();
  }

  @Benchmark
  public ListUsersResponse pageDecodeProtobuf() throws InvalidProtocolBufferException {
    return ListUsersResponse.parseFrom(pageProto);
  }

  @Benchmark
  public byte[] pageEncodeJsonFormat() throws InvalidProtocolBufferException {
    return printer.print(page).getBytes(StandardCharsets.UTF_8);
  }

  @Benchmark
  public ListUsersResponse pageDecodeJsonFormat() throws InvalidProtocolBufferException {
    ListUsersResponse.Builder builder = ListUsersResponse.newBuilder();
    parser.merge(new String(pageJsonFormat, StandardCharsets.UTF_8), builder);
    return builder.build();
  }

  @Benchmark
  public byte[] pageEncodeJackson() throws IOException {
    return mapper.writeValueAsBytes(pageRecord);
  }

  @Benchmark
  public SampleData.ListUsersJson pageDecodeJackson() throws IOException {
    return mapper.readValue(pageJackson, SampleData.ListUsersJson.class);
  }
}
