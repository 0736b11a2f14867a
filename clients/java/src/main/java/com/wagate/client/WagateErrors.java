package com.wagate.client;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.util.Optional;

/** Reads the {@code google.rpc.ErrorInfo} the gateway attaches to its errors. */
public final class WagateErrors {
  /**
   * The reason of a free-form message to a contact whose 24 h customer-service window is closed
   * (Cloud API error 131047).
   */
  public static final String REASON_WINDOW_CLOSED = "WHATSAPP_131047";

  /**
   * The reason that cuts off a subscriber that fell too far behind; the metadata {@code
   * last_cursor} says where to resume.
   */
  public static final String REASON_SUBSCRIBER_LAGGED = "SUBSCRIBER_LAGGED";

  private WagateErrors() {}

  /**
   * The {@code ErrorInfo} in the status details of a failed call. Cloud API errors have the
   * reason {@code WHATSAPP_<code>} and the metadata {@code code}, {@code subcode}, {@code
   * details} and {@code fbtrace_id}.
   *
   * @param error what a stub threw (a {@code StatusRuntimeException} or {@code StatusException})
   * @return the detail, or empty when the error carries none
   */
  public static Optional<ErrorInfo> errorInfo(Throwable error) {
    return errorInfo(StatusProto.fromThrowable(error));
  }

  /**
   * The {@code ErrorInfo} in the status details of a call that ended with {@code status}.
   *
   * @param status the status of the call
   * @param trailers its trailers
   * @return the detail, or empty when there is none
   */
  public static Optional<ErrorInfo> errorInfo(Status status, Metadata trailers) {
    return errorInfo(StatusProto.fromStatusAndTrailers(status, trailers));
  }

  private static Optional<ErrorInfo> errorInfo(com.google.rpc.Status status) {
    if (status == null) {
      return Optional.empty();
    }
    for (Any detail : status.getDetailsList()) {
      if (detail.is(ErrorInfo.class)) {
        try {
          return Optional.of(detail.unpack(ErrorInfo.class));
        } catch (InvalidProtocolBufferException e) {
          return Optional.empty();
        }
      }
    }
    return Optional.empty();
  }
}
