// Command example sends a WhatsApp template message through a wagate gateway
// and prints every event that follows (its sent, delivered and read statuses,
// and inbound messages), resuming the stream if it breaks.
//
// With `wagate sandbox` running:
//
//	go run ./example -addr localhost:50051 -insecure -to +14155550123
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"

	"google.golang.org/protobuf/encoding/protojson"

	wagate "github.com/wagate/wagate/clients/go"
	"github.com/wagate/wagate/clients/go/wagatev1"
)

func main() {
	addr := flag.String("addr", "localhost:50051", "the gateway's gRPC address")
	key := flag.String("key", envOr("WAGATE_API_KEY", "sandbox-api-key"), "the API key (or $WAGATE_API_KEY)")
	plaintext := flag.Bool("insecure", false, "connect without TLS (the sandbox)")
	to := flag.String("to", "+14155550123", "the recipient, in E.164 form")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var opts []wagate.Option
	if *plaintext {
		opts = append(opts, wagate.WithInsecure())
	}
	client, err := wagate.Dial(*addr, *key, opts...)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	// Subscribe first: every event after Subscribe returns is delivered.
	sub, err := client.Subscribe(ctx, &wagatev1.SubscribeEventsRequest{})
	if err != nil {
		log.Fatal(err)
	}
	defer sub.Close()

	sent, err := client.Messaging.SendMessage(ctx, &wagatev1.SendMessageRequest{
		To:      *to,
		Content: wagate.Template("hello_world", "en_US"),
	})
	if err != nil {
		if info := wagate.ErrorInfo(err); info != nil {
			log.Fatalf("send failed: %v (reason %s)", err, info.GetReason())
		}
		log.Fatalf("send failed: %v", err)
	}
	fmt.Println("sent", sent.GetMessageId())

	for {
		ev, err := sub.Recv()
		if err != nil {
			if ctx.Err() != nil {
				return // interrupted
			}
			log.Fatal(err)
		}
		fmt.Println(protojson.Format(ev))
	}
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
