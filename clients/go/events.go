package wagate

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/wagate/wagate/clients/go/wagatev1"
)

// Backoff is the delay between attempts to resubscribe: Initial after the
// first failure, multiplied by Multiplier after each further one up to Max,
// each randomised by ±Jitter (a fraction). It starts again at Initial once an
// event arrives.
type Backoff struct {
	Initial    time.Duration
	Max        time.Duration
	Multiplier float64
	Jitter     float64
}

// DefaultBackoff is the backoff of a subscription without [WithBackoff].
var DefaultBackoff = Backoff{Initial: 100 * time.Millisecond, Max: 10 * time.Second, Multiplier: 2, Jitter: 0.2}

// delay is the wait before retry number attempt (0-based).
func (b Backoff) delay(attempt int) time.Duration {
	d := float64(b.Initial)
	for i := 0; i < attempt && d < float64(b.Max); i++ {
		d *= b.Multiplier
	}
	d = min(d, float64(b.Max))
	if b.Jitter > 0 {
		d *= 1 + b.Jitter*(2*rand.Float64()-1)
	}
	return time.Duration(d)
}

// SubscribeOption configures [Client.Subscribe].
type SubscribeOption func(*Subscription)

// WithBackoff sets the delays between resubscriptions.
func WithBackoff(b Backoff) SubscribeOption {
	return func(s *Subscription) { s.backoff = b }
}

// WithMaxRetries makes [Subscription.Recv] give up and return the error after
// n consecutive failed attempts with no event in between; the default (0) is
// to retry until the context is cancelled.
func WithMaxRetries(n int) SubscribeOption {
	return func(s *Subscription) { s.maxRetries = n }
}

// WithRetryHook calls f before each wait to resubscribe, with the error that
// broke the stream and the delay; use it to log or count reconnections.
func WithRetryHook(f func(err error, delay time.Duration)) SubscribeOption {
	return func(s *Subscription) { s.onRetry = f }
}

// Subscription is a resumable event subscription made by [Client.Subscribe].
//
// It keeps the cursor of the last event it delivered. When the stream breaks
// with UNAVAILABLE (the gateway restarts or the connection drops), ends (the
// gateway shuts down), or fails with RESOURCE_EXHAUSTED / SUBSCRIBER_LAGGED
// (this subscriber fell behind), it subscribes again after that cursor, with
// exponential backoff: every event still retained by the gateway is delivered
// once, in order. Any other error (UNAUTHENTICATED, PERMISSION_DENIED,
// INVALID_ARGUMENT, …) is returned by [Client.Subscribe] or [Subscription.Recv].
//
// A subscription that starts at the newest event and breaks before it has
// delivered one has no cursor to resume from, and starts at the newest again;
// start at the oldest retained event or after a saved cursor where that gap
// matters.
//
// Recv must be called from one goroutine at a time; Close and Cursor may be
// called from any.
type Subscription struct {
	events     wagatev1.EventServiceClient
	conn       *grpc.ClientConn
	ctx        context.Context
	cancel     context.CancelFunc
	request    *wagatev1.SubscribeEventsRequest
	backoff    Backoff
	maxRetries int
	onRetry    func(error, time.Duration)

	stream       grpc.ServerStreamingClient[wagatev1.SubscribeEventsResponse]
	cancelStream context.CancelFunc
	failures     int

	mu     sync.Mutex
	cursor string
}

// Subscribe starts a resumable subscription with the filters and start
// position of req (nil means every event from now on). It returns once the
// gateway has accepted the stream, so an event that happens after Subscribe
// returns is delivered even when starting at the newest event; while the
// gateway cannot be reached it retries with backoff until ctx is done.
// Cancelling ctx or calling [Subscription.Close] ends the subscription.
func (c *Client) Subscribe(ctx context.Context, req *wagatev1.SubscribeEventsRequest, opts ...SubscribeOption) (*Subscription, error) {
	if req == nil {
		req = &wagatev1.SubscribeEventsRequest{}
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &Subscription{
		events:  c.Events,
		conn:    c.conn,
		ctx:     ctx,
		cancel:  cancel,
		request: proto.CloneOf(req),
		backoff: DefaultBackoff,
		cursor:  req.GetAfterCursor(),
	}
	for _, opt := range opts {
		opt(s)
	}
	if err := s.connect(); err != nil {
		cancel()
		return nil, err
	}
	return s, nil
}

// Recv blocks until the next event and returns it. It returns the context's
// error once the subscription is closed or its context is cancelled, and any
// error the subscription cannot recover from.
func (s *Subscription) Recv() (*wagatev1.Event, error) {
	for {
		if err := s.ctx.Err(); err != nil {
			s.closeStream()
			return nil, err
		}
		if s.stream == nil {
			if err := s.connect(); err != nil {
				return nil, err
			}
		}
		resp, err := s.stream.Recv()
		if err != nil {
			s.closeStream()
			if err := s.wait(err); err != nil {
				return nil, err
			}
			continue
		}
		ev := resp.GetEvent()
		if ev == nil {
			continue
		}
		s.mu.Lock()
		duplicate := ev.GetCursor() != "" && ev.GetCursor() == s.cursor
		if !duplicate && ev.GetCursor() != "" {
			s.cursor = ev.GetCursor()
		}
		s.mu.Unlock()
		if duplicate {
			continue
		}
		s.failures = 0
		return ev, nil
	}
}

// Cursor is the cursor of the last event delivered (or the start cursor if
// none was yet): subscribe with it as after_cursor to go on from there later.
func (s *Subscription) Cursor() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cursor
}

// Close ends the subscription; a Recv in progress returns [context.Canceled].
func (s *Subscription) Close() {
	s.cancel()
}

// connect opens a stream, retrying with backoff while that fails in a way
// worth retrying.
func (s *Subscription) connect() error {
	for {
		err := s.open()
		if err == nil {
			return nil
		}
		if err := s.wait(err); err != nil {
			return err
		}
	}
}

// open starts a stream after the last cursor, or at the requested start, and
// waits until the gateway accepts it (its response headers arrive).
func (s *Subscription) open() error {
	req := proto.CloneOf(s.request)
	if cursor := s.Cursor(); cursor != "" {
		req.Start = &wagatev1.SubscribeEventsRequest_AfterCursor{AfterCursor: cursor}
	}
	ctx, cancel := context.WithCancel(s.ctx)
	stream, err := s.events.SubscribeEvents(ctx, req)
	if err == nil {
		// The gateway answers with headers once the subscription is
		// registered, or ends the call at once with its status.
		var md metadata.MD
		if md, err = stream.Header(); err == nil && md == nil {
			// A trailers-only answer: Recv returns its status.
			if _, err = stream.Recv(); err == nil {
				err = status.Error(codes.Internal, "wagate: the gateway sent an event without headers")
			}
		}
	}
	if err != nil {
		cancel()
		return err
	}
	s.stream, s.cancelStream = stream, cancel
	return nil
}

func (s *Subscription) closeStream() {
	if s.cancelStream != nil {
		s.cancelStream()
	}
	s.stream, s.cancelStream = nil, nil
}

// wait decides whether err can be recovered from and, if so, waits for the
// backoff delay; it returns the error to give up with otherwise.
func (s *Subscription) wait(err error) error {
	if ctxErr := s.ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	resume, ok := resumable(err)
	if !ok {
		return err
	}
	if resume != "" {
		s.mu.Lock()
		if s.cursor == "" {
			s.cursor = resume
		}
		s.mu.Unlock()
	}
	if s.maxRetries > 0 && s.failures >= s.maxRetries {
		return err
	}
	delay := s.backoff.delay(s.failures)
	s.failures++
	if s.onRetry != nil {
		s.onRetry(err, delay)
	}
	timer := time.NewTimer(delay)
	defer timer.Stop()
	select {
	case <-timer.C:
		// This subscription's backoff has run out: do not also wait for the
		// connection's own reconnection backoff, which grows to minutes.
		if s.conn != nil {
			s.conn.ResetConnectBackoff()
		}
		return nil
	case <-s.ctx.Done():
		return s.ctx.Err()
	}
}

// resumable tells whether a subscription that failed with err can go on by
// subscribing again, and the cursor the gateway said to resume after, if any.
func resumable(err error) (cursor string, ok bool) {
	if errors.Is(err, io.EOF) {
		// The gateway ended the stream (it is shutting down): go on elsewhere.
		return "", true
	}
	st, isStatus := status.FromError(err)
	if !isStatus {
		return "", false
	}
	switch st.Code() {
	case codes.Unavailable:
		return "", true
	case codes.ResourceExhausted:
		if info := ErrorInfo(err); info != nil && info.GetReason() == ReasonSubscriberLagged {
			return info.GetMetadata()["last_cursor"], true
		}
	}
	return "", false
}
