package wagate_test

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	wagate "github.com/wagate/wagate/clients/go"
	"github.com/wagate/wagate/clients/go/wagatev1"
)

// fakeEvents is an EventService that serves a scripted log: call i sends at
// most batches[i] of the events after the requested cursor (all of them once
// batches runs out), then fails with failures[i] (or waits, when nil or none).
type fakeEvents struct {
	wagatev1.UnimplementedEventServiceServer
	log []string

	mu       sync.Mutex
	batches  []int
	failures []error
	starts   []string
}

func (f *fakeEvents) SubscribeEvents(req *wagatev1.SubscribeEventsRequest, stream grpc.ServerStreamingServer[wagatev1.SubscribeEventsResponse]) error {
	f.mu.Lock()
	f.starts = append(f.starts, req.GetAfterCursor())
	var fail error
	if len(f.failures) > 0 {
		fail, f.failures = f.failures[0], f.failures[1:]
	}
	batch := len(f.log)
	if len(f.batches) > 0 {
		batch, f.batches = f.batches[0], f.batches[1:]
	}
	f.mu.Unlock()
	from := 0
	if c := req.GetAfterCursor(); c != "" {
		for i, cursor := range f.log {
			if cursor == c {
				from = i + 1
			}
		}
	}
	if fail == nil {
		// Like the gateway, accept the stream at once (a failure without
		// events is a trailers-only answer).
		if err := stream.SendHeader(nil); err != nil {
			return err
		}
	}
	for i := from; i < len(f.log) && i < from+batch; i++ {
		ev := &wagatev1.Event{Id: "ev-" + f.log[i], Cursor: f.log[i]}
		if err := stream.Send(&wagatev1.SubscribeEventsResponse{Event: ev}); err != nil {
			return err
		}
	}
	if fail != nil {
		return fail
	}
	<-stream.Context().Done()
	return nil
}

func lagged(lastCursor string) error {
	st, err := status.New(codes.ResourceExhausted, "lagged").WithDetails(&errdetails.ErrorInfo{
		Reason: wagate.ReasonSubscriberLagged, Domain: "wagate", Metadata: map[string]string{"last_cursor": lastCursor},
	})
	if err != nil {
		panic(err)
	}
	return st.Err()
}

func serveFake(t *testing.T, f *fakeEvents) *wagate.Client {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	wagatev1.RegisterEventServiceServer(srv, f)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(srv.Stop)
	c, err := wagate.Dial(l.Addr().String(), "k", wagate.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

var fastBackoff = wagate.WithBackoff(wagate.Backoff{Initial: time.Millisecond, Max: 5 * time.Millisecond, Multiplier: 2})

func TestSubscriptionResumesAfterLagAndUnavailable(t *testing.T) {
	f := &fakeEvents{
		log:     []string{"c1", "c2", "c3", "c4", "c5", "c6"},
		batches: []int{2, 2, 2},
		failures: []error{
			lagged("c2"),
			status.Error(codes.Unavailable, "restarting"),
			nil,
		},
	}
	c := serveFake(t, f)
	sub, err := c.Subscribe(context.Background(), nil, fastBackoff)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	var got []string
	for range 6 {
		ev, err := sub.Recv()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ev.GetCursor())
	}
	if fmt.Sprint(got) != "[c1 c2 c3 c4 c5 c6]" {
		t.Fatalf("got %v", got)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if fmt.Sprint(f.starts) != "[ c2 c4]" {
		t.Fatalf("subscribed after %q, want after \"\", c2, c4", f.starts)
	}
}

func TestLaggedBeforeAnyEventResumesFromTheGatewaysCursor(t *testing.T) {
	// The first stream is cut off before it delivers anything (as when the
	// client reads too slowly), so only the gateway knows where it stopped.
	f := &fakeEvents{log: []string{"c1", "c2", "c3"}, batches: []int{0}, failures: []error{lagged("c1")}}
	c := serveFake(t, f)
	sub, err := c.Subscribe(context.Background(), nil, fastBackoff)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	ev, err := sub.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if ev.GetCursor() != "c2" {
		t.Fatalf("resumed at %s, want c2 (after the gateway's last_cursor c1)", ev.GetCursor())
	}
}

func TestNonRetryableErrorsAreReturned(t *testing.T) {
	f := &fakeEvents{failures: []error{status.Error(codes.PermissionDenied, "no")}}
	c := serveFake(t, f)
	_, err := c.Subscribe(context.Background(), nil, fastBackoff)
	if status.Code(err) != codes.PermissionDenied {
		t.Fatalf("expected PERMISSION_DENIED from Subscribe, got %v", err)
	}
	// Once subscribed, the same error ends Recv.
	f.failures = []error{status.Error(codes.PermissionDenied, "no")}
	f.log, f.batches = []string{"c1"}, []int{1}
	sub, err := c.Subscribe(context.Background(), nil, fastBackoff)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if _, err := sub.Recv(); err != nil {
		t.Fatal(err)
	}
	if _, err := sub.Recv(); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("expected PERMISSION_DENIED from Recv, got %v", err)
	}
}

func TestCloseEndsRecv(t *testing.T) {
	c := serveFake(t, &fakeEvents{})
	sub, err := c.Subscribe(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { _, err := sub.Recv(); done <- err }()
	time.Sleep(50 * time.Millisecond)
	sub.Close()
	select {
	case err := <-done:
		if err != context.Canceled {
			t.Fatalf("expected context.Canceled, got %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Recv did not return after Close")
	}
}
