package wagate_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// sandbox is a `wagate sandbox` process started for the test binary.
type sandbox struct {
	cmd      *exec.Cmd
	grpcAddr string
	adminURL string
	apiKey   string
}

// gateway is the sandbox every test of this package uses (see TestMain).
var gateway *sandbox

func TestMain(m *testing.M) {
	var err error
	gateway, err = startSandbox()
	if err != nil {
		fmt.Fprintln(os.Stderr, "cannot start the sandbox:", err)
		os.Exit(1)
	}
	code := m.Run()
	gateway.stop()
	os.Exit(code)
}

// wagateBinary is $WAGATE_BIN, or the debug build of the repository
// (`cargo build --bin wagate`).
func wagateBinary() (string, error) {
	if bin := os.Getenv("WAGATE_BIN"); bin != "" {
		return bin, nil
	}
	bin, err := filepath.Abs(filepath.Join("..", "..", "target", "debug", "wagate"))
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("%s not found: run `cargo build --bin wagate` or set WAGATE_BIN", bin)
	}
	return bin, nil
}

// startSandbox runs the sandbox on free ports and reads its addresses from
// the banner it prints.
func startSandbox() (*sandbox, error) {
	bin, err := wagateBinary()
	if err != nil {
		return nil, err
	}
	const apiKey = "go-client-test-key"
	cmd := exec.Command(bin, "sandbox",
		"--grpc-addr", "127.0.0.1:0", "--webhook-addr", "127.0.0.1:0", "--emulator-addr", "127.0.0.1:0",
		"--api-key", apiKey, "--status-interval-ms", "20")
	cmd.Env = append(os.Environ(), "RUST_LOG=warn")
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &sandbox{cmd: cmd, apiKey: apiKey}
	found := make(chan struct{})
	go func() {
		lines := bufio.NewScanner(stdout)
		announced := false
		for lines.Scan() {
			fields := strings.Fields(lines.Text())
			switch {
			case len(fields) >= 2 && fields[0] == "gRPC":
				s.grpcAddr = fields[1]
			case len(fields) >= 3 && fields[0] == "Cloud" && fields[1] == "API":
				s.adminURL = strings.TrimSuffix(fields[2], "/") + "/_admin"
			}
			if !announced && s.grpcAddr != "" && s.adminURL != "" {
				announced = true
				close(found)
			}
		}
	}()
	select {
	case <-found:
		return s, nil
	case <-time.After(30 * time.Second):
		s.stop()
		return nil, fmt.Errorf("the sandbox printed no gRPC and Cloud API addresses within 30 s")
	}
}

// stop ends the sandbox with SIGTERM, or kills it if it does not stop.
func (s *sandbox) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

// admin calls the emulator's admin API and decodes its JSON answer into out.
func (s *sandbox) admin(t *testing.T, method, path string, body, out any) {
	t.Helper()
	var reader io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		reader = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.adminURL+path, reader)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("content-type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %s: %s", method, path, resp.Status, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, raw)
		}
	}
}

// injectInbound makes the contact `from` send a text message to the business,
// the way Meta's webhook would; it returns the message's wamid.
func (s *sandbox) injectInbound(t *testing.T, from, body string) string {
	t.Helper()
	var out struct {
		MessageID string `json:"message_id"`
	}
	s.admin(t, http.MethodPost, "/inbound", map[string]any{
		"from":         from,
		"profile_name": "Ana",
		"message":      map[string]any{"type": "text", "text": map[string]string{"body": body}},
	}, &out)
	if out.MessageID == "" {
		t.Fatal("the emulator returned no message_id")
	}
	return out.MessageID
}

// sentMessageIDs lists the wamids of the messages the emulator accepted.
func (s *sandbox) sentMessageIDs(t *testing.T) []string {
	t.Helper()
	var out struct {
		Data []struct {
			MessageID string `json:"message_id"`
		} `json:"data"`
	}
	s.admin(t, http.MethodGet, "/sent", nil, &out)
	ids := make([]string, 0, len(out.Data))
	for _, d := range out.Data {
		ids = append(ids, d.MessageID)
	}
	return ids
}

var contactSeq struct {
	sync.Mutex
	n int
}

// newContact is a WhatsApp id no other test uses.
func newContact() string {
	contactSeq.Lock()
	defer contactSeq.Unlock()
	contactSeq.n++
	return fmt.Sprintf("1555%03d%04d", os.Getpid()%1000, contactSeq.n)
}

// proxy is a TCP proxy in front of the gateway whose connections a test can
// cut, and which refuses connections while it is down.
type proxy struct {
	listener net.Listener
	target   string

	mu      sync.Mutex
	down    bool
	conns   []net.Conn
	accepts int
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{listener: l, target: target}
	go p.serve()
	t.Cleanup(func() { _ = l.Close(); p.cut() })
	return p
}

func (p *proxy) addr() string { return p.listener.Addr().String() }

func (p *proxy) serve() {
	for {
		client, err := p.listener.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.accepts++
		if p.down {
			p.mu.Unlock()
			_ = client.Close()
			continue
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			_ = client.Close()
			continue
		}
		p.conns = append(p.conns, client, server)
		p.mu.Unlock()
		go func() { _, _ = io.Copy(server, client); _ = server.Close() }()
		go func() { _, _ = io.Copy(client, server); _ = client.Close() }()
	}
}

// cut closes every open connection.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}

// setDown makes the proxy refuse (or accept again) new connections.
func (p *proxy) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
}
