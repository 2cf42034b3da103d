package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/receipt"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/tsa"
)

// tool returns the path of an outside program a test checks with. In CI
// a missing tool fails the test; elsewhere it skips it.
func tool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is needed (apt install %s)", name, pkg)
		}
		t.Skipf("%s is not installed (apt install %s)", name, pkg)
	}
	return p
}

// artifactDir is where a test leaves files for people to look at:
// $JURICHAIN_ARTIFACTS when set, else the test's temporary directory.
func artifactDir(t *testing.T) string {
	if d := os.Getenv("JURICHAIN_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// TestCertificate walks a depositor's certificate through the tools a
// court has: the node issues it with the deposit, pdfsig calls the seal
// valid and the institution's CA trusted, qpdf finds the file sound,
// pdftotext reads the printed fields, 'jurichain verify' accepts it with
// and without the file and refuses a one-byte change in either; the
// node's RFC 3161 authority answers OpenSSL; rotation and revocation keep
// old certificates verifying unless the revocation dates from before
// their seal.
func TestCertificate(t *testing.T) {
	n := initNode(t)
	n.start()
	dir := t.TempDir()
	// A name with a rare character (U+4DAE, CJK extension A).
	key := n.enrolledKeyFile(dir, "刘䶮")
	photo := filepath.Join(dir, "现场照片.jpg")
	content := make([]byte, 64<<10)
	rand.Read(content)
	os.WriteFile(photo, content, 0o644)
	out, errOut, code := run(t, nil, "deposit", "--server", n.URL, "--key", key, "--certificate",
		"--case-ref", "(2026)京0491民初123号", "--capture-time", "2026-05-01T09:30:00+08:00",
		"--latitude", "39.9042", "--longitude", "116.4074", "--device", "Pixel 9", "--address", "北京市海淀区中关村大街1号",
		photo)
	if code != 0 {
		t.Fatalf("deposit --certificate: exit %d\n%s%s", code, out, errOut)
	}
	cert := photo + ".certificate.pdf"
	pdf, err := os.ReadFile(cert)
	if err != nil {
		t.Fatalf("deposit --certificate wrote no certificate: %v\n%s", err, out)
	}
	id := regexp.MustCompile(`deposit #\d+ ([0-9a-f]{64})`).FindStringSubmatch(out)[1]

	// From standard input too.
	streamed := filepath.Join(dir, "streamed")
	if out, errOut, code := run(t, strings.NewReader("streamed evidence"), "deposit", "--server", n.URL, "--key", key, "--certificate", "--out", streamed, "-"); code != 0 {
		t.Fatalf("deposit --certificate from standard input: %s%s", out, errOut)
	}
	if _, err := os.Stat(filepath.Join(streamed, "stdin.certificate.pdf")); err != nil {
		t.Fatalf("no certificate for standard input: %v", err)
	}

	// The same certificate on every download.
	again := filepath.Join(dir, "again.pdf")
	out, errOut, code = run(t, nil, "certificate", "--server", n.URL, "--key", key, "--out", again, id)
	if code != 0 {
		t.Fatalf("certificate: %s%s", out, errOut)
	}
	if b, _ := os.ReadFile(again); !bytes.Equal(b, pdf) {
		t.Fatal("a second download of the certificate differs from the first")
	}
	number := regexp.MustCompile(`JC-[A-Z2-7]{5}-[A-Z2-7]{5}-[A-Z2-7]{5}-[A-Z2-7]{5}`).FindString(out)
	if number == "" {
		t.Fatalf("certificate printed no number: %s", out)
	}

	pol := n.policyFile()
	out, errOut, code = run(t, nil, "verify", "--policy", pol, photo, cert)
	if code != 0 {
		t.Fatalf("verify FILE CERT: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"VERIFIED", "certificate:    " + number, "sealed at:", "刘䶮", "address:      北京市海淀区中关村大街1号"} {
		if !strings.Contains(out, want) {
			t.Errorf("verify output lacks %q:\n%s", want, out)
		}
	}
	if out, errOut, code = run(t, nil, "verify", "--policy", pol, cert); code != 0 || !strings.Contains(out, "file:           not checked") {
		t.Fatalf("verify CERT: exit %d\n%s%s", code, out, errOut)
	}
	// One byte of the file changed.
	changed := filepath.Join(dir, "changed.jpg")
	content[100] ^= 1
	os.WriteFile(changed, content, 0o644)
	content[100] ^= 1
	if _, errOut, code = run(t, nil, "verify", "--policy", pol, changed, cert); code != 1 || !strings.Contains(errOut, "file: the file is not the one") {
		t.Fatalf("verify of a changed file: exit %d, %s", code, errOut)
	}
	// One byte of the PDF changed, inside the signed bytes.
	bad := bytes.Clone(pdf)
	i := bytes.Index(bad, []byte("/Producer"))
	if i < 0 {
		i = 200
	}
	bad[i+1] ^= 0x20
	badFile := filepath.Join(dir, "tampered.pdf")
	os.WriteFile(badFile, bad, 0o644)
	if _, errOut, code = run(t, nil, "verify", "--policy", pol, photo, badFile); code != 1 || !strings.Contains(errOut, "seal") {
		t.Fatalf("verify of a tampered certificate: exit %d, %s", code, errOut)
	}
	// Another network's policy.
	other := initNode(t)
	if _, errOut, code = run(t, nil, "verify", "--policy", other.policyFile(), photo, cert); code != 1 {
		t.Fatalf("verify under another network's policy: exit %d, %s", code, errOut)
	}

	// Standard tools.
	var info api.PKI
	getJSON(t, n.URL+"/v1/pki", &info)
	caFile := filepath.Join(dir, "ca.pem")
	os.WriteFile(caFile, []byte(info.CA), 0o644)
	qpdf := tool(t, "qpdf", "qpdf")
	if b, err := exec.Command(qpdf, "--check", cert).CombinedOutput(); err != nil || !strings.Contains(string(b), "No syntax or stream encoding errors") {
		t.Fatalf("qpdf --check: %v\n%s", err, b)
	}
	pdftotext := tool(t, "pdftotext", "poppler-utils")
	text, err := exec.Command(pdftotext, "-layout", cert, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	for _, want := range []string{number, "刘䶮", id[:32], "北京市海淀区中关村大街1号"} {
		if !bytes.Contains(text, []byte(want)) && !bytes.Contains(bytes.Join(bytes.Fields(text), nil), []byte(want)) {
			t.Errorf("the printed page lacks %q:\n%s", want, text)
		}
	}
	pdftoppm := tool(t, "pdftoppm", "poppler-utils")
	png := filepath.Join(artifactDir(t), "certificate-"+testSuite.Name())
	if b, err := exec.Command(pdftoppm, "-png", "-r", "100", "-f", "1", "-l", "1", "-singlefile", cert, png).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, b)
	}
	if st, err := os.Stat(png + ".png"); err != nil || st.Size() < 10_000 {
		t.Fatalf("pdftoppm rendered nothing: %v", err)
	}
	t.Logf("first page rendered to %s.png", png)
	if testSuite.Name() == suite.NameInternational {
		// NSS, behind pdfsig, knows no SM2: on a GM network the seal is
		// checked by jurichain verify and OpenSSL only (docs/gm.md).
		pdfsig := tool(t, "pdfsig", "poppler-utils")
		certutil := tool(t, "certutil", "libnss3-tools")
		nss := filepath.Join(dir, "nss")
		os.MkdirAll(nss, 0o700)
		for _, args := range [][]string{{"-N", "-d", "sql:" + nss, "--empty-password"}, {"-A", "-d", "sql:" + nss, "-n", "institution-ca", "-t", "CT,C,C", "-i", caFile}} {
			if b, err := exec.Command(certutil, args...).CombinedOutput(); err != nil {
				t.Fatalf("certutil %v: %v\n%s", args, err, b)
			}
		}
		b, _ := exec.Command(pdfsig, "-nssdir", "sql:"+nss, cert).CombinedOutput()
		for _, want := range []string{"Signature is Valid.", "Certificate is Trusted.", "ETSI.CAdES.detached"} {
			if !strings.Contains(string(b), want) {
				t.Errorf("pdfsig does not say %q:\n%s", want, b)
			}
		}
		// pdfsig exits 0 on a bad digest too: read what it says.
		b, _ = exec.Command(pdfsig, "-nssdir", "sql:"+nss, badFile).CombinedOutput()
		if strings.Contains(string(b), "Signature is Valid.") {
			t.Errorf("pdfsig calls the tampered certificate valid:\n%s", b)
		}
	}

	// The receipt comes with the RFC 3161 token of its checkpoint.
	dep, err := n.operator().Deposit(t.Context(), id, 0)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := receipt.Parse([]byte(dep.Receipt))
	if err != nil {
		t.Fatal(err)
	}
	scheme := testSuite.Certificates()
	h := scheme.NewHash()
	body, _, _ := bytes.Cut(rc.Checkpoint, []byte("\n\n"))
	h.Write(append(body, '\n'))
	tok, err := tsa.Verify(scheme, dep.CheckpointTimestamp, scheme.DigestOID(), h.Sum(nil), nil)
	if err != nil {
		t.Fatalf("the receipt's checkpoint token: %v", err)
	}
	if tok.GenTime.Before(dep.Time.Truncate(time.Second)) {
		t.Fatalf("the checkpoint was stamped at %v, before the deposit's certified time %v", tok.GenTime, dep.Time)
	}

	// Another depositor may not have it: it prints the depositor's name
	// and metadata. Nor may anyone without an account.
	_, stranger := n.newDepositor()
	if _, err := stranger.Certificate(t.Context(), id); err == nil || !strings.Contains(err.Error(), "forbidden") {
		t.Fatalf("another depositor fetched the certificate: %v", err)
	}
	if _, err := n.client().Certificate(t.Context(), id); err == nil || !strings.Contains(err.Error(), "unauthenticated") {
		t.Fatalf("an anonymous client fetched the certificate: %v", err)
	}
	// Oversized bodies to the public endpoints are refused unread.
	postBody(t, n.URL+"/v1/certificates/check", "application/pdf", make([]byte, 5<<20), http.StatusRequestEntityTooLarge, nil)
	postBody(t, n.URL+"/v1/tsa", "application/timestamp-query", make([]byte, 70<<10), http.StatusRequestEntityTooLarge, nil)
	postBody(t, n.URL+"/v1/certificates/check", "text/plain", pdf, http.StatusUnsupportedMediaType, nil)
	var junk api.CertificateCheck
	postBody(t, n.URL+"/v1/certificates/check", "application/pdf", []byte("%PDF-1.7 not a certificate"), http.StatusOK, &junk)
	if junk.Genuine || junk.FailedCheck != "certificate PDF" {
		t.Fatalf("check of a PDF that is no certificate: %+v", junk)
	}

	// The node's check: by number (public), and of an uploaded PDF.
	var byNumber api.CertificateCheck
	getJSON(t, n.URL+"/v1/certificates/"+strings.ToLower(number), &byNumber)
	if !byNumber.Genuine || byNumber.Certificate.Number != number || byNumber.StillInLog == nil || !byNumber.StillInLog.Consistent {
		t.Fatalf("GET /v1/certificates/%s: %+v", number, byNumber)
	}
	// A number alone shows what is proven, not who deposited what.
	if c := byNumber.Certificate; c.Depositor.Name != "" || c.Depositor.Account != "" || c.File.Name != "" || c.Capture != nil || c.CaseRef != "" || len(c.Digests) == 0 {
		t.Fatalf("GET /v1/certificates/%s shows %+v", number, c)
	}
	for _, arg := range []string{cert, number} {
		out, errOut, code := run(t, nil, "certificate", "check", "--server", n.URL, arg)
		if code != 0 || !strings.Contains(out, "certificate "+number+": genuine") || !strings.Contains(out, "still in log:    true") {
			t.Fatalf("certificate check %s: exit %d\n%s%s", arg, code, out, errOut)
		}
	}
	if _, errOut, code := run(t, nil, "certificate", "check", "--server", n.URL, badFile); code != 1 || !strings.Contains(errOut, "seal") {
		t.Fatalf("certificate check of a tampered certificate: exit %d, %s", code, errOut)
	}
	var checked api.CertificateCheck
	postBody(t, n.URL+"/v1/certificates/check", "application/pdf", bad, http.StatusOK, &checked)
	if checked.Genuine || checked.FailedCheck != "seal" {
		t.Fatalf("check of a tampered certificate: %+v", checked)
	}
	var notFound api.Error
	getStatus(t, n.URL+"/v1/certificates/JC-AAAAA-AAAAA-AAAAA-AAAAA", http.StatusNotFound, &notFound)
	getStatus(t, n.URL+"/v1/certificates/JC-0", http.StatusBadRequest, &notFound)
	if !strings.Contains(notFound.Message, "number") {
		t.Errorf("a malformed number's error does not name the field: %+v", notFound)
	}

	// RFC 3161 from OpenSSL to the node and back.
	openssl := tool(t, "openssl", "openssl")
	digest := "-sha256"
	if testSuite.Name() == suite.NameGM {
		digest = "-sm3"
	}
	query := filepath.Join(dir, "q.tsq")
	if b, err := exec.Command(openssl, "ts", "-query", "-data", photo, digest, "-cert", "-out", query).CombinedOutput(); err != nil {
		t.Fatalf("openssl ts -query: %v\n%s", err, b)
	}
	q, _ := os.ReadFile(query)
	reply := postBody(t, n.URL+"/v1/tsa", "application/timestamp-query", q, http.StatusOK, nil)
	replyFile := filepath.Join(dir, "r.tsr")
	os.WriteFile(replyFile, reply, 0o644)
	if b, err := exec.Command(openssl, "ts", "-reply", "-in", replyFile, "-text").CombinedOutput(); err != nil || !strings.Contains(string(b), "Status: Granted.") {
		t.Fatalf("openssl ts -reply: %v\n%s", err, b)
	}
	if testSuite.Name() == suite.NameInternational {
		// OpenSSL 3.0's CMS reads SM2 with another signer ID than GM/T
		// 0009's default; the GM token's signature is checked in package
		// tsa with pkeyutl.
		tsaCert := filepath.Join(dir, "tsa.pem")
		for _, c := range info.Credentials {
			if c.Role == "tsa" && c.Retired == nil {
				os.WriteFile(tsaCert, []byte(c.Certificate), 0o644)
			}
		}
		if b, err := exec.Command(openssl, "ts", "-verify", "-data", photo, "-in", replyFile, "-CAfile", caFile, "-untrusted", tsaCert).CombinedOutput(); err != nil || !strings.Contains(string(b), "Verification: OK") {
			t.Fatalf("openssl ts -verify: %v\n%s", err, b)
		}
		if b, err := exec.Command(openssl, "ts", "-verify", "-data", key, "-in", replyFile, "-CAfile", caFile, "-untrusted", tsaCert).CombinedOutput(); err == nil {
			t.Fatalf("openssl ts -verify accepts the token for another file:\n%s", b)
		}
	}
	// A query for SHA-1 is refused, with the reason in the reply.
	sha1Query := filepath.Join(dir, "sha1.tsq")
	exec.Command(openssl, "ts", "-query", "-data", photo, "-sha1", "-out", sha1Query).Run()
	q1, _ := os.ReadFile(sha1Query)
	rejected := postBody(t, n.URL+"/v1/tsa", "application/timestamp-query", q1, http.StatusBadRequest, nil)
	os.WriteFile(replyFile, rejected, 0o644)
	if b, _ := exec.Command(openssl, "ts", "-reply", "-in", replyFile, "-text").CombinedOutput(); !strings.Contains(string(b), "Rejected") && !strings.Contains(string(b), "rejection") {
		t.Fatalf("a SHA-1 query was not rejected:\n%s", b)
	}
	postBody(t, n.URL+"/v1/tsa", "application/timestamp-query", []byte("not DER"), http.StatusBadRequest, nil)
	postBody(t, n.URL+"/v1/tsa", "application/json", q, http.StatusUnsupportedMediaType, nil)

	// Rotation: a new seal for new certificates; the old one still
	// verifies.
	sealOf := func(pdfFile string) (serial string, at time.Time) {
		out, errOut, code := run(t, nil, "verify", "--policy", pol, pdfFile)
		if code != 0 {
			t.Fatalf("verify %s: %s%s", pdfFile, out, errOut)
		}
		serial = regexp.MustCompile(`seal certificate ([0-9a-f]+)`).FindStringSubmatch(out)[1]
		at, err := time.Parse(time.RFC3339, regexp.MustCompile(`sealed at: +(\S+)`).FindStringSubmatch(out)[1])
		if err != nil {
			t.Fatal(err)
		}
		return serial, at
	}
	oldSerial, _ := sealOf(cert)
	if out, errOut, code := run(t, nil, "seal", "rotate", "--home", n.home); code != 0 || !strings.Contains(out, "new seal certificate") {
		t.Fatalf("seal rotate: %s%s", out, errOut)
	}
	second := filepath.Join(dir, "second.txt")
	os.WriteFile(second, []byte("deposited after the rotation"), 0o644)
	out, errOut, code = run(t, nil, "deposit", "--server", n.URL, "--key", key, "--certificate", second)
	if code != 0 {
		t.Fatalf("deposit after rotation: %s%s", out, errOut)
	}
	secondID := regexp.MustCompile(`deposit #\d+ ([0-9a-f]{64})`).FindStringSubmatch(out)[1]
	secondCert := second + ".certificate.pdf"
	newSerial, sealedAt := sealOf(secondCert)
	if newSerial == oldSerial {
		t.Fatalf("the certificate after rotation is sealed with the old key %s", oldSerial)
	}
	// The rotation put the old seal on the revocation list as superseded
	// from then on: what it sealed before still verifies under that list.
	crl := filepath.Join(dir, "now.crl")
	os.WriteFile(crl, getBytes(t, n.URL+"/v1/pki/crl"), 0o644)
	if out, errOut, code := run(t, nil, "verify", "--policy", pol, "--crl", crl, photo, cert); code != 0 {
		t.Fatalf("a certificate sealed before its seal's rotation no longer verifies: %s%s", out, errOut)
	}
	// Revoking it as compromised from now on: what it sealed before its
	// rotation still verifies.
	if out, errOut, code := run(t, nil, "seal", "revoke", "--home", n.home, oldSerial); code != 0 {
		t.Fatalf("seal revoke: %s%s", out, errOut)
	}
	os.WriteFile(crl, getBytes(t, n.URL+"/v1/pki/crl"), 0o644)
	if out, errOut, code := run(t, nil, "verify", "--policy", pol, "--crl", crl, photo, cert); code != 0 {
		t.Fatalf("a certificate sealed before its seal's revocation no longer verifies: %s%s", out, errOut)
	}
	// Revoking it again from a later time is refused, saying why.
	if _, errOut, code := run(t, nil, "seal", "revoke", "--home", n.home, oldSerial); code == 0 || !strings.Contains(errOut, "already revoked") {
		t.Fatalf("revoking a revoked seal again: exit %d, %s", code, errOut)
	}
	// Revoking the new seal from a time before it sealed the second
	// certificate (a compromise found later): that certificate is refused.
	at := sealedAt.Add(-time.Second).UTC().Format(time.RFC3339)
	if out, errOut, code := run(t, nil, "seal", "revoke", "--home", n.home, "--at", at, newSerial); code != 0 {
		t.Fatalf("seal revoke --at: %s%s", out, errOut)
	}
	os.WriteFile(crl, getBytes(t, n.URL+"/v1/pki/crl"), 0o644)
	if _, errOut, code := run(t, nil, "verify", "--policy", pol, "--crl", crl, second, secondCert); code != 1 || !strings.Contains(errOut, "revoked") {
		t.Fatalf("a certificate sealed after its seal's revocation: exit %d, %s", code, errOut)
	}
	// Without the new list, offline, it still verifies: the revocation
	// list a verifier holds is what it judges by.
	if _, errOut, code := run(t, nil, "verify", "--policy", pol, second, secondCert); code != 0 {
		t.Fatalf("verify without the newer list: %s", errOut)
	}
	// The node knows its own revocations.
	var revoked api.CertificateCheck
	postBody(t, n.URL+"/v1/certificates/check", "application/pdf", must(os.ReadFile(secondCert)), http.StatusOK, &revoked)
	if revoked.Genuine || !strings.Contains(revoked.Message, "revoked") {
		t.Fatalf("the node's check of a certificate sealed after revocation: %+v", revoked)
	}
	// Asked for it again, the node issues it again under the same number,
	// sealed with its current key; that one verifies under the new list.
	reissued := filepath.Join(dir, "reissued.pdf")
	out, errOut, code = run(t, nil, "certificate", "--server", n.URL, "--key", key, "--out", reissued, secondID)
	if code != 0 {
		t.Fatalf("certificate after the revocation: %s%s", out, errOut)
	}
	number2 := regexp.MustCompile(`certificate (JC-\S+)`).FindStringSubmatch(out)[1]
	out, errOut, code = run(t, nil, "verify", "--policy", pol, "--crl", crl, second, reissued)
	if code != 0 || !strings.Contains(out, "certificate:    "+number2) {
		t.Fatalf("the certificate issued again: exit %d %s%s", code, out, errOut)
	}
	if first, _, _ := run(t, nil, "verify", "--policy", pol, secondCert); !strings.Contains(first, "certificate:    "+number2) {
		t.Fatalf("issued again under another number than %s:\n%s", number2, first)
	}
}

func getBytes(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", url, resp.Status, b)
	}
	return b
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	getStatus(t, url, http.StatusOK, v)
}

func getStatus(t *testing.T, url string, status int, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("GET %s: %s %s, want %d", url, resp.Status, b, status)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v: %s", url, err, b)
	}
}

// postBody posts body and checks the status; it decodes JSON into v when
// v is set, and returns the body.
func postBody(t *testing.T, url, contentType string, body []byte, status int, v any) []byte {
	t.Helper()
	resp, err := http.Post(url, contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("POST %s: %s %s, want %d", url, resp.Status, b, status)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("POST %s: %v: %s", url, err, b)
		}
	}
	return b
}
