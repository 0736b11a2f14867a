// Package wagate is the Go client of wagate, the gRPC gateway over the
// WhatsApp Business Cloud API.
//
// The generated code of the contract (proto/wagate/v1) lives in the
// [wagatev1] package: every request, response, event and service client.
// This package adds the little that earns its place on top of it:
//
//   - [Dial] connects with TLS (or plaintext for a local sandbox) and sends the
//     API key as `authorization: Bearer <key>` on every call.
//   - [Client.Subscribe] is a resumable event subscription: it remembers the
//     cursor of the last event it delivered and, when the stream breaks
//     (the gateway restarts, the connection drops, or the subscriber lagged),
//     subscribes again after that cursor with exponential backoff, so no event
//     is skipped or delivered twice.
//   - [Client.UploadMedia] turns an [io.Reader] into the UploadMedia client stream.
//   - [ErrorInfo] reads the google.rpc.ErrorInfo the gateway attaches to its
//     errors (reason WHATSAPP_<code> for Cloud API errors).
//
// A minimal program:
//
//	c, err := wagate.Dial("localhost:50051", "sandbox-api-key", wagate.WithInsecure())
//	if err != nil { log.Fatal(err) }
//	defer c.Close()
//	sub, err := c.Subscribe(ctx, &wagatev1.SubscribeEventsRequest{})
//	if err != nil { log.Fatal(err) }
//	_, err = c.Messaging.SendMessage(ctx, &wagatev1.SendMessageRequest{
//		To: "+14155550123", Content: wagate.Template("hello_world", "en_US"),
//	})
//	if err != nil { log.Fatal(err) }
//	for {
//		ev, err := sub.Recv()
//		if err != nil { log.Fatal(err) }
//		fmt.Println(ev)
//	}
package wagate
