package wagate_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	wagate "github.com/wagate/wagate/clients/go"
	"github.com/wagate/wagate/clients/go/wagatev1"
)

// dial connects to target (the sandbox by default) with the test API key.
func dial(t *testing.T, target string) *wagate.Client {
	t.Helper()
	if target == "" {
		target = gateway.grpcAddr
	}
	c, err := wagate.Dial(target, gateway.apiKey, wagate.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// openWindow makes contact write to the business and waits until the gateway
// knows its 24 h window is open.
func openWindow(ctx context.Context, t *testing.T, c *wagate.Client, contact string) {
	t.Helper()
	gateway.injectInbound(t, contact, "hello")
	for {
		w, err := c.Messaging.GetConversationWindow(ctx, &wagatev1.GetConversationWindowRequest{Contact: contact})
		if err != nil {
			t.Fatalf("GetConversationWindow: %v", err)
		}
		if w.GetOpen() {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the window with %s did not open after an inbound message", contact)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// eventPump delivers a subscription's events on a channel.
type eventPump struct {
	events chan *wagatev1.Event
	errs   chan error
}

func pump(sub *wagate.Subscription) *eventPump {
	p := &eventPump{events: make(chan *wagatev1.Event, 100), errs: make(chan error, 1)}
	go func() {
		for {
			ev, err := sub.Recv()
			if err != nil {
				p.errs <- err
				return
			}
			p.events <- ev
		}
	}()
	return p
}

// next waits for the next event.
func (p *eventPump) next(t *testing.T) *wagatev1.Event {
	t.Helper()
	select {
	case ev := <-p.events:
		return ev
	case err := <-p.errs:
		t.Fatalf("the subscription ended: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10 s")
	}
	return nil
}

// quiet checks that no further event arrives for a while.
func (p *eventPump) quiet(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case ev := <-p.events:
		t.Fatalf("unexpected event %s (%s)", ev.GetId(), ev.GetCursor())
	case err := <-p.errs:
		t.Fatalf("the subscription ended: %v", err)
	case <-time.After(d):
	}
}

// statusOf returns the status update an event carries, failing otherwise.
func statusOf(t *testing.T, ev *wagatev1.Event) *wagatev1.MessageStatusUpdate {
	t.Helper()
	st := ev.GetStatus()
	if st == nil {
		t.Fatalf("expected a status event, got %v", ev)
	}
	return st
}

// expectStatuses reads the sent, delivered and read statuses of messageID, in order.
func expectStatuses(t *testing.T, p *eventPump, messageID string) []*wagatev1.Event {
	t.Helper()
	want := []wagatev1.MessageStatus{
		wagatev1.MessageStatus_MESSAGE_STATUS_SENT,
		wagatev1.MessageStatus_MESSAGE_STATUS_DELIVERED,
		wagatev1.MessageStatus_MESSAGE_STATUS_READ,
	}
	var got []*wagatev1.Event
	for _, w := range want {
		ev := p.next(t)
		st := statusOf(t, ev)
		if st.GetMessageId() != messageID || st.GetStatus() != w {
			t.Fatalf("expected %s of %s, got %s of %s", w, messageID, st.GetStatus(), st.GetMessageId())
		}
		if ev.GetCursor() == "" {
			t.Fatalf("event %s has no cursor", ev.GetId())
		}
		got = append(got, ev)
	}
	return got
}

func TestSendTextAndTemplate(t *testing.T) {
	ctx := testContext(t)
	c := dial(t, "")
	contact := newContact()

	tpl, err := c.Messaging.SendMessage(ctx, &wagatev1.SendMessageRequest{
		To: "+" + contact, Content: wagate.Template("hello_world", "en_US"),
	})
	if err != nil {
		t.Fatalf("template: %v", err)
	}
	if !strings.HasPrefix(tpl.GetMessageId(), "wamid.") || tpl.GetWaId() != contact {
		t.Fatalf("unexpected template response %v", tpl)
	}

	openWindow(ctx, t, c, contact)
	text, err := c.Messaging.SendMessage(ctx, &wagatev1.SendMessageRequest{
		To: "+" + contact, Content: wagate.Text("Your order has shipped."),
	})
	if err != nil {
		t.Fatalf("text: %v", err)
	}
	if !strings.HasPrefix(text.GetMessageId(), "wamid.") || text.GetMessageId() == tpl.GetMessageId() {
		t.Fatalf("unexpected text response %v", text)
	}
	sent := gateway.sentMessageIDs(t)
	for _, id := range []string{tpl.GetMessageId(), text.GetMessageId()} {
		if !slices.Contains(sent, id) {
			t.Errorf("the emulator did not receive %s", id)
		}
	}
}

// testPNG is a noisy PNG of more than one upload chunk.
func testPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 160, 160))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.UintN(256))
	}
	img.Set(0, 0, color.NRGBA{A: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if buf.Len() <= wagate.UploadChunkSize {
		t.Fatalf("the test image (%d bytes) should span several chunks", buf.Len())
	}
	return buf.Bytes()
}

func TestUploadImageAndSendIt(t *testing.T) {
	ctx := testContext(t)
	c := dial(t, "")
	contact := newContact()
	data := testPNG(t)

	up, err := c.UploadMedia(ctx, &wagatev1.UploadMediaMetadata{MimeType: "image/png", Filename: "noise.png"}, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("UploadMedia: %v", err)
	}
	sum := sha256.Sum256(data)
	if up.GetMediaId() == "" || up.GetSizeBytes() != uint64(len(data)) || up.GetSha256() != hex.EncodeToString(sum[:]) {
		t.Fatalf("unexpected upload response %v (sent %d bytes)", up, len(data))
	}

	openWindow(ctx, t, c, contact)
	sent, err := c.Messaging.SendMessage(ctx, &wagatev1.SendMessageRequest{
		To: contact, Content: wagate.Image(up.GetMediaId(), "noise"),
	})
	if err != nil {
		t.Fatalf("send image: %v", err)
	}
	if !slices.Contains(gateway.sentMessageIDs(t), sent.GetMessageId()) {
		t.Fatalf("the emulator did not receive %s", sent.GetMessageId())
	}
}

func TestStatusEventsArriveInOrder(t *testing.T) {
	ctx := testContext(t)
	c := dial(t, "")
	contact := newContact()
	sub, err := c.Subscribe(ctx, &wagatev1.SubscribeEventsRequest{
		Contacts: []string{contact},
		Kinds:    []wagatev1.EventKind{wagatev1.EventKind_EVENT_KIND_STATUS},
		Start:    &wagatev1.SubscribeEventsRequest_Position{Position: wagatev1.StartPosition_START_POSITION_OLDEST},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	events := pump(sub)

	sent, err := c.Messaging.SendMessage(ctx, &wagatev1.SendMessageRequest{
		To: "+" + contact, Content: wagate.Template("hello_world", "en_US"),
	})
	if err != nil {
		t.Fatal(err)
	}
	got := expectStatuses(t, events, sent.GetMessageId())
	if st := statusOf(t, got[0]); st.GetRecipientId() != contact {
		t.Fatalf("recipient %q, want %q", st.GetRecipientId(), contact)
	}
	if sub.Cursor() != got[2].GetCursor() {
		t.Fatalf("Cursor() = %q, want the last event's %q", sub.Cursor(), got[2].GetCursor())
	}
}

func TestInboundMessageIsTyped(t *testing.T) {
	ctx := testContext(t)
	c := dial(t, "")
	contact := newContact()
	sub, err := c.Subscribe(ctx, &wagatev1.SubscribeEventsRequest{
		Contacts: []string{contact},
		Kinds:    []wagatev1.EventKind{wagatev1.EventKind_EVENT_KIND_MESSAGE},
		Start:    &wagatev1.SubscribeEventsRequest_Position{Position: wagatev1.StartPosition_START_POSITION_OLDEST},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	events := pump(sub)

	id := gateway.injectInbound(t, contact, "Is my order on its way?")
	ev := events.next(t)
	msg := ev.GetMessage()
	if msg == nil {
		t.Fatalf("expected an inbound message, got %v", ev)
	}
	if msg.GetMessageId() != id || msg.GetFrom() != contact || msg.GetProfileName() != "Ana" {
		t.Fatalf("unexpected message %v", msg)
	}
	if msg.GetText().GetBody() != "Is my order on its way?" {
		t.Fatalf("expected the text content, got %v", msg.GetContent())
	}
	if ev.GetPhoneNumberId() == "" || ev.GetRawJson() == "" {
		t.Fatalf("the event lacks its phone number id or raw JSON: %v", ev)
	}
}

func TestFreeFormOutsideTheWindowFailsWithErrorInfo(t *testing.T) {
	ctx := testContext(t)
	c := dial(t, "")
	_, err := c.Messaging.SendMessage(ctx, &wagatev1.SendMessageRequest{
		To: "+" + newContact(), Content: wagate.Text("hello?"),
	})
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.FailedPrecondition {
		t.Fatalf("expected FAILED_PRECONDITION, got %v", err)
	}
	var info *errdetails.ErrorInfo
	for _, d := range st.Details() {
		if i, ok := d.(*errdetails.ErrorInfo); ok {
			info = i
		}
	}
	if info == nil || info.GetReason() != "WHATSAPP_131047" {
		t.Fatalf("expected ErrorInfo reason WHATSAPP_131047 in %v", st.Details())
	}
	if wagate.ErrorInfo(err).GetReason() != wagate.ReasonWindowClosed {
		t.Fatalf("wagate.ErrorInfo disagrees: %v", wagate.ErrorInfo(err))
	}
}

func TestWrongAPIKeyIsUnauthenticated(t *testing.T) {
	c, err := wagate.Dial(gateway.grpcAddr, "not-the-key", wagate.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Messaging.SendMessage(testContext(t), &wagatev1.SendMessageRequest{
		To: "+" + newContact(), Content: wagate.Template("hello_world", "en_US"),
	})
	if status.Code(err) != codes.Unauthenticated {
		t.Fatalf("expected UNAUTHENTICATED, got %v", err)
	}
	if _, err := c.Subscribe(testContext(t), nil); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("expected UNAUTHENTICATED from Subscribe, got %v", err)
	}
}

func TestSubscriptionResumesAfterTheConnectionIsCut(t *testing.T) {
	ctx := testContext(t)
	direct := dial(t, "")
	p := startProxy(t, gateway.grpcAddr)
	viaProxy := dial(t, p.addr())
	contact := newContact()

	var retries atomic.Int32
	sub, err := viaProxy.Subscribe(ctx, &wagatev1.SubscribeEventsRequest{
		Contacts: []string{contact},
		Start:    &wagatev1.SubscribeEventsRequest_Position{Position: wagatev1.StartPosition_START_POSITION_OLDEST},
	},
		wagate.WithBackoff(wagate.Backoff{Initial: 20 * time.Millisecond, Max: 200 * time.Millisecond, Multiplier: 2}),
		wagate.WithRetryHook(func(error, time.Duration) { retries.Add(1) }),
	)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	events := pump(sub)

	send := func() string {
		t.Helper()
		r, err := direct.Messaging.SendMessage(ctx, &wagatev1.SendMessageRequest{
			To: "+" + contact, Content: wagate.Template("hello_world", "en_US"),
		})
		if err != nil {
			t.Fatal(err)
		}
		return r.GetMessageId()
	}
	first := send()
	before := expectStatuses(t, events, first)

	// Cut the stream and keep the gateway unreachable while a second message
	// is sent and its statuses are published.
	p.setDown(true)
	p.cut()
	second := send()
	waitForStatuses(ctx, t, direct, contact, before[2].GetCursor(), 3)
	p.setDown(false)

	after := expectStatuses(t, events, second)
	events.quiet(t, 300*time.Millisecond)
	if retries.Load() == 0 {
		t.Fatal("the subscription never had to reconnect: the cut did not happen")
	}
	seen := map[string]bool{}
	for _, ev := range append(before, after...) {
		if seen[ev.GetCursor()] {
			t.Fatalf("cursor %s delivered twice", ev.GetCursor())
		}
		seen[ev.GetCursor()] = true
	}
}

// waitForStatuses waits until n events about contact follow cursor in the
// gateway's log, read with a plain (non-resuming) stream.
func waitForStatuses(ctx context.Context, t *testing.T, c *wagate.Client, contact, cursor string, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	stream, err := c.Events.SubscribeEvents(ctx, &wagatev1.SubscribeEventsRequest{
		Contacts: []string{contact},
		Start:    &wagatev1.SubscribeEventsRequest_AfterCursor{AfterCursor: cursor},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if _, err := stream.Recv(); err != nil {
			t.Fatalf("waiting for the events sent during the cut: %v", err)
		}
	}
}
