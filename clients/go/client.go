package wagate

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/wagate/wagate/clients/go/wagatev1"
)

// Client is a connection to a wagate gateway with a client for each service.
// It is safe for concurrent use; close it when done.
type Client struct {
	conn *grpc.ClientConn

	// Messaging sends messages, marks them read and tells whether a
	// contact's 24 h window is open.
	Messaging wagatev1.MessagingServiceClient
	// Media uploads, describes, downloads and deletes media.
	Media wagatev1.MediaServiceClient
	// Templates creates, reads, lists, updates and deletes message templates.
	Templates wagatev1.TemplateServiceClient
	// Events streams events; prefer [Client.Subscribe], which resumes.
	Events wagatev1.EventServiceClient
}

// Option configures [Dial].
type Option func(*dialOptions)

type dialOptions struct {
	tls      *tls.Config
	insecure bool
	extra    []grpc.DialOption
}

// WithInsecure connects in plaintext, for a local `wagate sandbox` or a
// gateway behind a TLS-terminating sidecar on the same host. The API key is
// then sent unencrypted.
func WithInsecure() Option {
	return func(o *dialOptions) { o.insecure = true }
}

// WithTLSConfig sets the TLS configuration (a private CA, a client
// certificate, a server name). The default verifies the gateway's certificate
// against the system roots.
func WithTLSConfig(cfg *tls.Config) Option {
	return func(o *dialOptions) { o.tls = cfg }
}

// WithDialOptions adds gRPC dial options (interceptors, keepalive, connect
// parameters, a custom dialer, …).
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(o *dialOptions) { o.extra = append(o.extra, opts...) }
}

// Dial creates a client for the gateway at target (host:port, or any gRPC
// target) that authenticates every call with apiKey. It connects lazily: the
// first call, not Dial, fails if the gateway cannot be reached.
func Dial(target, apiKey string, opts ...Option) (*Client, error) {
	if apiKey == "" {
		return nil, errors.New("wagate: an API key is required")
	}
	var o dialOptions
	for _, opt := range opts {
		opt(&o)
	}
	var transport credentials.TransportCredentials
	switch {
	case o.insecure:
		transport = insecure.NewCredentials()
	case o.tls != nil:
		transport = credentials.NewTLS(o.tls)
	default:
		transport = credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12})
	}
	dial := append([]grpc.DialOption{
		grpc.WithTransportCredentials(transport),
		grpc.WithPerRPCCredentials(apiKeyCredentials{key: apiKey, secure: !o.insecure}),
	}, o.extra...)
	conn, err := grpc.NewClient(target, dial...)
	if err != nil {
		return nil, fmt.Errorf("wagate: %w", err)
	}
	return NewClient(conn), nil
}

// NewClient wraps a connection made by the caller, who is then responsible
// for its credentials.
func NewClient(conn *grpc.ClientConn) *Client {
	return &Client{
		conn:      conn,
		Messaging: wagatev1.NewMessagingServiceClient(conn),
		Media:     wagatev1.NewMediaServiceClient(conn),
		Templates: wagatev1.NewTemplateServiceClient(conn),
		Events:    wagatev1.NewEventServiceClient(conn),
	}
}

// Conn is the underlying connection.
func (c *Client) Conn() *grpc.ClientConn { return c.conn }

// Close closes the connection; calls and subscriptions in flight end.
func (c *Client) Close() error { return c.conn.Close() }

// apiKeyCredentials sends the API key as a bearer token on every call.
type apiKeyCredentials struct {
	key    string
	secure bool
}

func (a apiKeyCredentials) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + a.key}, nil
}

func (a apiKeyCredentials) RequireTransportSecurity() bool { return a.secure }

// UploadChunkSize is the size of the chunks [Client.UploadMedia] sends.
const UploadChunkSize = 64 << 10

// UploadMedia uploads the bytes read from r through the UploadMedia client
// stream: the metadata first, then chunks of [UploadChunkSize] bytes. The
// returned media id can be sent from the same phone number for 30 days.
func (c *Client) UploadMedia(ctx context.Context, md *wagatev1.UploadMediaMetadata, r io.Reader) (*wagatev1.UploadMediaResponse, error) {
	stream, err := c.Media.UploadMedia(ctx)
	if err != nil {
		return nil, err
	}
	first := &wagatev1.UploadMediaRequest{Part: &wagatev1.UploadMediaRequest_Metadata{Metadata: md}}
	if err := stream.Send(first); err != nil {
		// The server ended the call early; CloseAndRecv returns its status.
		return stream.CloseAndRecv()
	}
	buf := make([]byte, UploadChunkSize)
	for {
		n, readErr := io.ReadFull(r, buf)
		if n > 0 {
			chunk := &wagatev1.UploadMediaRequest{Part: &wagatev1.UploadMediaRequest_Chunk{Chunk: append([]byte(nil), buf[:n]...)}}
			if err := stream.Send(chunk); err != nil {
				return stream.CloseAndRecv()
			}
		}
		if errors.Is(readErr, io.EOF) || errors.Is(readErr, io.ErrUnexpectedEOF) {
			break
		}
		if readErr != nil {
			_ = stream.CloseSend()
			return nil, fmt.Errorf("wagate: reading the media: %w", readErr)
		}
	}
	return stream.CloseAndRecv()
}
