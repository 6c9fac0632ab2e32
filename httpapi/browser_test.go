package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The browser test drives headless Chromium through chromedriver's W3C
// WebDriver HTTP API (plain net/http, no client library) against a test
// server on loopback with the bundled history. It needs the Debian
// packages chromium and chromium-driver (.ci/run installs them). Without
// them it is skipped, except with CI=true, where it fails.
//
// Screenshots go to $ACCORD_ARTIFACTS when set, else to a temporary
// directory; they are never committed.

// chromiumFlags are the flags the browser is started with (plus a fresh
// --user-data-dir); the machine has no internet, so nothing may phone home.
var chromiumFlags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
	"--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
	"--disable-dev-shm-usage", "--window-size=1280,1000", "--lang=en-GB",
}

func findBrowser(t *testing.T) (chromium, driver string) {
	t.Helper()
	look := func(env string, names ...string) string {
		if p := os.Getenv(env); p != "" {
			if p, err := exec.LookPath(p); err == nil {
				return p
			}
			return ""
		}
		for _, n := range names {
			if p, err := exec.LookPath(n); err == nil {
				return p
			}
		}
		return ""
	}
	chromium = look("ACCORD_CHROMIUM", "chromium", "chromium-browser", "google-chrome")
	driver = look("ACCORD_CHROMEDRIVER", "chromedriver")
	if chromium == "" || driver == "" {
		msg := "chromium and chromedriver are needed (apt-get install -y chromium chromium-driver)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + "; with CI=true the browser test must run")
		}
		t.Skip(msg)
	}
	return chromium, driver
}

// webdriver is a minimal W3C WebDriver client.
type webdriver struct {
	t       *testing.T
	base    string // http://127.0.0.1:PORT/session/ID
	timeout time.Duration
}

// call sends a WebDriver command and decodes the "value" of the answer.
func (w *webdriver) call(method, url string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, body)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var env struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		return fmt.Errorf("%s %s: %d %.300s", method, url, res.StatusCode, b)
	}
	if res.StatusCode != 200 {
		return fmt.Errorf("%s %s: %d %.500s", method, url, res.StatusCode, env.Value)
	}
	if out != nil {
		return json.Unmarshal(env.Value, out)
	}
	return nil
}

func (w *webdriver) do(method, path string, in, out any) {
	w.t.Helper()
	if err := w.call(method, w.base+path, in, out); err != nil {
		w.t.Fatal(err)
	}
}

const elementKey = "element-6066-11e4-a52e-4f735466cecf"

// find waits for an element matching css and returns its id.
func (w *webdriver) find(css string) string {
	w.t.Helper()
	deadline := time.Now().Add(w.timeout)
	for {
		var ref map[string]string
		err := w.call("POST", w.base+"/element", map[string]string{"using": "css selector", "value": css}, &ref)
		if err == nil && ref[elementKey] != "" {
			return ref[elementKey]
		}
		if time.Now().After(deadline) {
			w.screenshot("failure")
			w.t.Fatalf("no element %q after %s (last error: %v); page text: %.600s", css, w.timeout, err, w.script("return document.body.innerText"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (w *webdriver) text(id string) string {
	w.t.Helper()
	var s string
	w.do("GET", "/element/"+id+"/text", nil, &s)
	return s
}

// clickCSS finds an element matching css and clicks it, finding it again
// when the page re-rendered in between (a stale element reference): a
// single-page app redraws after a navigation.
func (w *webdriver) clickCSS(css string) {
	w.t.Helper()
	deadline := time.Now().Add(w.timeout)
	for {
		err := w.call("POST", w.base+"/element/"+w.find(css)+"/click", map[string]any{}, nil)
		if err == nil {
			return
		}
		if !strings.Contains(err.Error(), "stale element") || time.Now().After(deadline) {
			w.t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (w *webdriver) navigate(url string) {
	w.t.Helper()
	w.do("POST", "/url", map[string]string{"url": url}, nil)
}

func (w *webdriver) script(js string, args ...any) any {
	w.t.Helper()
	if args == nil {
		args = []any{}
	}
	var out any
	w.do("POST", "/execute/sync", map[string]any{"script": js, "args": args}, &out)
	return out
}

// screenshot saves a PNG of the viewport, scrolled to the top, as an
// artifact.
func (w *webdriver) screenshot(name string) string {
	w.t.Helper()
	return w.screenshotAt(name, "")
}

// screenshotAt saves a PNG of the viewport scrolled to the element css
// (the top when css is "").
func (w *webdriver) screenshotAt(name, css string) string {
	w.t.Helper()
	js := "window.scrollTo(0, 0)"
	if css != "" {
		js = "const e = document.querySelector(arguments[0]); if (e) e.scrollIntoView({block: 'start'}); window.scrollBy(0, -60)"
	}
	w.call("POST", w.base+"/execute/sync", map[string]any{"script": js, "args": []any{css}}, nil)
	var b64 string
	if err := w.call("GET", w.base+"/screenshot", nil, &b64); err != nil {
		w.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	png, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		w.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	dir := os.Getenv("ACCORD_ARTIFACTS")
	if dir == "" {
		dir = w.t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		w.t.Fatal(err)
	}
	p := filepath.Join(dir, "browser-"+name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		w.t.Fatal(err)
	}
	w.t.Logf("screenshot: %s", p)
	return p
}

// startBrowser starts chromedriver and a Chromium session, stopped at the
// end of the test.
func startBrowser(t *testing.T) *webdriver {
	t.Helper()
	chromium, driver := findBrowser(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	var logBuf bytes.Buffer
	cmd := exec.Command(driver, fmt.Sprintf("--port=%d", port), "--allowed-ips=127.0.0.1")
	cmd.Stdout, cmd.Stderr = &logBuf, &logBuf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start chromedriver: %v", err)
	}
	pgid := cmd.Process.Pid
	t.Cleanup(func() {
		// End the chromedriver we started and whatever it started (its
		// process group), then reap it.
		syscall.Kill(-pgid, syscall.SIGKILL)
		cmd.Wait()
	})
	driverURL := fmt.Sprintf("http://127.0.0.1:%d", port)
	w := &webdriver{t: t, timeout: 15 * time.Second}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var st struct {
			Ready bool `json:"ready"`
		}
		if err := w.call("GET", driverURL+"/status", nil, &st); err == nil && st.Ready {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("chromedriver did not start: %s", logBuf.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	args := append(append([]string{}, chromiumFlags...), "--user-data-dir="+t.TempDir())
	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"browserName":        "chrome",
		"goog:chromeOptions": map[string]any{"binary": chromium, "args": args},
	}}}
	var sess struct {
		SessionID string `json:"sessionId"`
	}
	if err := w.call("POST", driverURL+"/session", caps, &sess); err != nil {
		t.Fatalf("new session: %v\nchromedriver log:\n%s", err, logBuf.String())
	}
	w.base = driverURL + "/session/" + sess.SessionID
	t.Cleanup(func() { w.call("DELETE", w.base, nil, nil) })
	return w
}

// TestBrowser opens the page in headless Chromium: the agreements table,
// then gbr-jpn-raa, whose timeline must show the signature, then the
// network, then the scenario page (the chart when the scenario engine is
// there, else its placeholder).
func TestBrowser(t *testing.T) {
	ts, _ := newTestServer(t, nil)
	w := startBrowser(t)

	// The agreements table, with stages, at a date chosen with the slider's
	// query parameter.
	w.navigate(ts.URL + "/#/?as_of=2022-11-30")
	row := w.find(`#agreements tr[data-id="gbr-jpn-raa"]`)
	if txt := w.text(row); !strings.Contains(txt, "agreed in principle") {
		t.Errorf("gbr-jpn-raa as of 2022-11-30 reads %q, want the stage agreed in principle", txt)
	}
	w.find(`#as-of[type="range"]`)
	w.screenshot("agreements")

	// Open gbr-jpn-raa from the table (today: the signature is history).
	w.navigate(ts.URL + "/#/")
	w.clickCSS(`#agreements tr[data-id="gbr-jpn-raa"] a.agreement-link`)
	signed := w.find(`#timeline li[data-type="agreement_signed"]`)
	txt := w.text(signed)
	if !strings.Contains(txt, "2023-01-11") || !strings.Contains(txt, "Source:") {
		t.Errorf("the signature in the timeline reads %q, want its date 2023-01-11 and its source", txt)
	}
	if title := w.text(w.find("#agreement-title")); !strings.Contains(title, "Reciprocal Access") {
		t.Errorf("agreement title %q", title)
	}
	w.screenshot("agreement")

	// The network at a date: an SVG with a circle per country.
	w.navigate(ts.URL + "/#/network?as_of=2022-11-30")
	w.find(`#network circle[data-country="JPN"]`)
	if n, _ := w.script(`return document.querySelectorAll("#network circle").length`).(float64); n < 3 {
		t.Errorf("network has %v nodes", n)
	}
	w.screenshot("network")

	// The scenario page: run an example and wait for the chart.
	w.navigate(ts.URL + "/#/scenarios")
	w.clickCSS(`#scenarios button.run[data-name="no-signature"]`)
	w.find("#scenario-chart")
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, _ := w.script(`const i = document.getElementById("scenario-chart"); return i.complete && i.naturalWidth > 0`).(bool)
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the scenario chart did not render")
		}
		time.Sleep(100 * time.Millisecond)
	}
	w.screenshotAt("scenario", "#scenario-result")
}
